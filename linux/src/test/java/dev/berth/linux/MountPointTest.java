package dev.berth.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whether a path is a mount point: statx's answer agrees with the mount table's. */
class MountPointTest {

  @TempDir
  Path tmp;

  @Test
  void statxAgreesWithTheMountTableOnMountsPlainDirsFilesAndMissingPaths() throws IOException {
    List<Path> mounts = MountTable.mountPoints();
    List<Path> probes = new ArrayList<>(List.of(Path.of("/"), tmp, Files.writeString(tmp.resolve("file"), "x"),
        tmp.resolve("missing")));
    // A few of the host's mounts as well, whatever they are here (proc, sys, the test's own fs...).
    mounts.stream().filter(Files::isDirectory).limit(5).forEach(probes::add);
    for (Path p : probes) {
      assertEquals(mounts.contains(p.toAbsolutePath().normalize()), MountTable.isMountPoint(p), p.toString());
    }
    assertTrue(MountTable.isMountPoint(Path.of("/")));
    assertFalse(MountTable.isMountPoint(tmp.resolve("missing")));
  }

  @Test
  void theKernelAnswersWithoutTheMountTableFromLinux58On() throws IOException {
    String[] version = System.getProperty("os.version").split("[.-]");
    int major = Integer.parseInt(version[0]);
    int minor = Integer.parseInt(version[1]);
    boolean reports = major > 5 || (major == 5 && minor >= 8);
    assertEquals(reports, Syscalls.isMountRoot(Path.of("/")).isPresent(), "kernel " + System.getProperty("os.version"));
    if (reports) {
      assertEquals(java.util.Optional.of(false), Syscalls.isMountRoot(tmp));
    }
  }
}
