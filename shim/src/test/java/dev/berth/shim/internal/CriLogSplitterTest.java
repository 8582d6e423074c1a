package dev.berth.shim.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CriLogSplitterTest {
  @TempDir
  Path dir;

  @Test
  void partialLinesJoinTheNextLineAndFullLinesEndWithNewline() throws Exception {
    Path log = dir.resolve("log");
    Files.writeString(log, """
        2026-01-01T00:00:00.000000001+00:00 stdout P hel
        2026-01-01T00:00:00.000000002+00:00 stderr F oops
        2026-01-01T00:00:00.000000003+00:00 stdout F lo
        2026-01-01T00:00:00.000000004+00:00 stdout F\s
        2026-01-01T00:00:00.000000005+00:00 stdout P end
        """);
    CriLogSplitter.Streams streams = new CriLogSplitter(1024).split(log);
    assertEquals("hello\n\nend", new String(streams.stdout(), StandardCharsets.UTF_8));
    assertEquals("oops\n", new String(streams.stderr(), StandardCharsets.UTF_8));
  }

  @Test
  void bothStreamsTogetherKeepTheFirstBytesUpToTheCap() throws Exception {
    Path log = dir.resolve("log");
    Files.writeString(log, """
        2026-01-01T00:00:00Z stderr F ab
        2026-01-01T00:00:00Z stdout F 0123456789
        2026-01-01T00:00:00Z stderr F cd
        """);
    CriLogSplitter.Streams streams = new CriLogSplitter(7).split(log);
    assertEquals("ab\n", new String(streams.stderr(), StandardCharsets.UTF_8));
    assertEquals("0123", new String(streams.stdout(), StandardCharsets.UTF_8));
    assertTrue(streams.truncated());
  }

  @Test
  void outputWithinTheCapIsNotTruncated() throws Exception {
    Path log = dir.resolve("log");
    Files.writeString(log, "2026-01-01T00:00:00Z stdout F 0123\n");
    CriLogSplitter.Streams streams = new CriLogSplitter(5).split(log);
    assertEquals("0123\n", new String(streams.stdout(), StandardCharsets.UTF_8));
    assertFalse(streams.truncated());
  }

  @Test
  void missingLogMeansNoOutput() throws Exception {
    CriLogSplitter.Streams streams = new CriLogSplitter(4).split(dir.resolve("absent"));
    assertEquals(0, streams.stdout().length);
    assertEquals(0, streams.stderr().length);
  }
}
