package dev.berth.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared binding itself, with calls any user may make: errno is captured and named. */
class SyscallsTest {

  private static final int ENOENT = 2;

  @TempDir
  Path dir;

  @Test
  void aFailedCallCarriesItsErrnoAndNamesIt() {
    Path missing = dir.resolve("missing");
    Syscalls.ErrnoException e = assertThrows(Syscalls.ErrnoException.class, () -> Syscalls.chmod(missing, 0644));
    assertEquals(ENOENT, e.errno());
    assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("errno 2"), e.getMessage());
    assertEquals("No such file or directory", Syscalls.strerror(ENOENT));
  }

  @Test
  void chmodSetsTheBitsTheJdkDrops() throws Exception {
    Path file = Files.createFile(dir.resolve("f"));
    Syscalls.chmod(file, 02755);
    assertEquals(PosixFilePermissions.fromString("rwxr-xr-x"), Files.getPosixFilePermissions(file));
    assertEquals(02755, (int) Files.getAttribute(file, "unix:mode") & 07777);
  }

  @Test
  void statfsReadsTheFilesystemOfAPath() throws Exception {
    Syscalls.FsStats stats = Syscalls.statfs(dir);
    assertTrue(stats.totalBytes() > 0 && stats.freeBytes() <= stats.totalBytes(), stats.toString());
  }
}
