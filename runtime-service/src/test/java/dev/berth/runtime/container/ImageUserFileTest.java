package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.CriException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageUserFileTest {

  @TempDir
  Path rootfs;

  private void passwd(String content) throws IOException {
    Files.writeString(Files.createDirectories(rootfs.resolve("etc")).resolve("passwd"), content);
  }

  @Test
  void readingStopsAtTheFirstAnswer() throws IOException {
    passwd("root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\nlater:x:2000:2000::/:/bin/sh\n");
    AtomicInteger seen = new AtomicInteger();
    Optional<String> found = new ImageUserFile(rootfs, "/etc/passwd").first(fields -> {
      seen.incrementAndGet();
      return fields[0].equals("app") ? fields[2] : null;
    });
    assertEquals(Optional.of("1000"), found);
    assertEquals(2, seen.get());
  }

  @Test
  void aMissingFileNamesNobody() {
    assertEquals(Optional.empty(), new ImageUserFile(rootfs, "/etc/group").first(fields -> fields[0]));
  }

  @Test
  void aFileAboveTheBoundIsRefusedNamingItWithoutBeingRead() throws IOException {
    Path file = Files.createDirectories(rootfs.resolve("etc")).resolve("passwd");
    byte[] line = "user:x:1:1::/:/bin/sh\n".getBytes(StandardCharsets.US_ASCII);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written <= ImageUserFile.MAX_BYTES; written += line.length) {
        out.write(line);
      }
    }
    AtomicInteger seen = new AtomicInteger();
    CriException.InvalidArgument e = assertThrows(CriException.InvalidArgument.class,
        () -> new ImageUserFile(rootfs, "/etc/passwd").first(fields -> {
          seen.incrementAndGet();
          return null;
        }));
    assertTrue(e.getMessage().startsWith("the image's /etc/passwd is larger than 8 MiB ("), e.getMessage());
    assertEquals(0, seen.get(), "no line was parsed");
  }

  @Test
  void theLookupsOfTheProcessPlanUseTheBound() throws IOException {
    Path file = Files.createDirectories(rootfs.resolve("etc")).resolve("passwd");
    Files.write(file, new byte[(int) ImageUserFile.MAX_BYTES + 1]);
    ProcessPlan.ImageDefaults image = new ProcessPlan.ImageDefaults(List.of("sh"), List.of(), List.of(), "", "app");
    ProcessPlan.Requested requested = new ProcessPlan.Requested(List.of(), List.of(), List.of(), "", null, null, null);
    CriException.InvalidArgument e = assertThrows(CriException.InvalidArgument.class,
        () -> ProcessPlan.merge(image, requested, ImageUsers.read(rootfs)));
    assertTrue(e.getMessage().contains("/etc/passwd is larger than"), e.getMessage());
  }
}
