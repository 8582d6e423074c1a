package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsPathTest {

  @TempDir
  Path rootfs;

  @Test
  void aPlainPathIsUnderTheRootfs() throws IOException {
    assertEquals(rootfs.resolve("etc/passwd"), RootfsPath.resolve(rootfs, "/etc/passwd"));
  }

  @Test
  void anAbsoluteLinkNamesThePathInsideTheRootfs() throws IOException {
    Files.createDirectories(rootfs.resolve("usr/etc"));
    Files.createSymbolicLink(rootfs.resolve("etc"), Path.of("/usr/etc"));
    assertEquals(rootfs.resolve("usr/etc/passwd"), RootfsPath.resolve(rootfs, "/etc/passwd"));
  }

  @Test
  void dotDotStopsAtTheRootfs() throws IOException {
    Files.createSymbolicLink(rootfs.resolve("etc"), Path.of("../../../../host/etc"));
    assertEquals(rootfs.resolve("host/etc/passwd"), RootfsPath.resolve(rootfs, "/etc/passwd"));
    assertEquals(rootfs.resolve("passwd"), RootfsPath.resolve(rootfs, "/../../passwd"));
  }

  @Test
  void aRelativeLinkResolvesFromItsDirectory() throws IOException {
    Files.createDirectories(rootfs.resolve("real"));
    Files.createDirectories(rootfs.resolve("a"));
    Files.createSymbolicLink(rootfs.resolve("a/link"), Path.of("../real"));
    assertEquals(rootfs.resolve("real/file"), RootfsPath.resolve(rootfs, "/a/link/file"));
  }

  @Test
  void aLinkLoopIsAnError() throws IOException {
    Files.createSymbolicLink(rootfs.resolve("loop"), Path.of("/loop"));
    assertThrows(IOException.class, () -> RootfsPath.resolve(rootfs, "/loop/x"));
  }
}
