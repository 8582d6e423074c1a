package dev.berth.runtime.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniResultCacheTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  CniResultCache.Entry entry(String result) throws IOException {
    return new CniResultCache.Entry("sb1", "eth0", "IgnoreUnknown=1",
        JSON.readTree("{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"plugins\":[{\"type\":\"bridge\"}]}"),
        JSON.readTree("{}"), result == null ? null : JSON.readTree(result));
  }

  @Test
  void anEntrySurvivesANewCacheObject() throws IOException {
    CniResultCache.Entry written = entry("{\"ips\":[{\"address\":\"10.0.0.2/24\"}]}");
    new CniResultCache(dir.resolve("cache")).write(written);

    assertEquals(written, new CniResultCache(dir.resolve("cache")).read("sb1").orElseThrow());
  }

  @Test
  void aNewCacheRemovesTempFilesOfWritesCutShortAndKeepsEntries() throws IOException {
    CniResultCache.Entry written = entry("{\"ips\":[]}");
    new CniResultCache(dir).write(written);
    Path leftover = Files.writeString(dir.resolve(".sb2.json.tmp-4242-1"), "{\"sandboxId\":");

    CniResultCache reopened = new CniResultCache(dir);

    assertFalse(Files.exists(leftover));
    assertEquals(written, reopened.read("sb1").orElseThrow());
  }

  @Test
  void aPendingEntryReadsBackWithoutResult() throws IOException {
    CniResultCache cache = new CniResultCache(dir);
    cache.write(entry(null));
    assertNull(cache.read("sb1").orElseThrow().result());
  }

  @Test
  void rewritingReplacesAndLeavesNoTemporaryFiles() throws IOException {
    CniResultCache cache = new CniResultCache(dir);
    cache.write(entry(null));
    cache.write(entry("{\"ips\":[]}"));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(java.util.List.of(dir.resolve("sb1.json")), files.toList());
    }
  }

  @Test
  void removeIsIdempotent() throws IOException {
    CniResultCache cache = new CniResultCache(dir);
    cache.write(entry(null));
    cache.remove("sb1");
    cache.remove("sb1");
    assertTrue(cache.read("sb1").isEmpty());
  }

  @Test
  void aCorruptEntryIsAnErrorNotAnAbsence() throws IOException {
    Files.writeString(dir.resolve("sb1.json"), "{\"sandboxId\":");
    assertThrows(IOException.class, () -> new CniResultCache(dir).read("sb1"));
  }

  @Test
  void idsThatWouldLeaveTheDirectoryAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new CniResultCache(dir).read("../x"));
  }
}
