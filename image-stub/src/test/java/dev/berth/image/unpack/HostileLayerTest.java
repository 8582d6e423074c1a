package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestMismatchException;
import dev.berth.linux.Syscalls;
import dev.berth.image.unpack.LayerUnpackerTest.Tar;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers written by an attacker, unpacked into a temp dir beside a "host" file and directory
 * that stand for the rest of the node: whatever the layer says, their mode, owner, times,
 * xattrs and contents stay as they were. Needs root (owners, device nodes, trusted xattrs).
 */
@Tag("integration")
class HostileLayerTest {

  private static final Instant HOST_TIME = Instant.parse("2001-02-03T04:05:06Z");
  private static final Instant LAYER_TIME = Instant.parse("2031-01-01T00:00:00Z");
  private static final int HOST_UID = 4321;

  @TempDir
  Path tmp;
  Path hostFile;
  Path hostDir;

  /** What an attacker would like to change, as it was before the unpack. */
  private record HostState(int mode, int uid, int gid, FileTime mtime, String content, long links) {}

  @BeforeEach
  void makeHostFiles() throws IOException {
    hostDir = Files.createDirectories(tmp.resolve("host/etc"));
    hostFile = Files.writeString(hostDir.resolve("shadow"), "root:precious\n");
    Syscalls.chmod(hostFile, 0640);
    Syscalls.lchown(hostFile, HOST_UID, HOST_UID);
    Files.setLastModifiedTime(hostFile, FileTime.from(HOST_TIME));
    Syscalls.chmod(hostDir, 0755);
    Syscalls.lchown(hostDir, HOST_UID, HOST_UID);
    Files.setLastModifiedTime(hostDir, FileTime.from(HOST_TIME));
  }

  private static HostState state(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,nlink", LinkOption.NOFOLLOW_LINKS);
    String content = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p) : "";
    return new HostState((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"),
        (FileTime) a.get("lastModifiedTime"), content, ((Number) a.get("nlink")).longValue());
  }

  private void assertHostUntouched() throws IOException {
    assertEquals(new HostState(0100640, HOST_UID, HOST_UID, FileTime.from(HOST_TIME), "root:precious\n", 1),
        state(hostFile), "the host file");
    assertEquals(new HostState(040755, HOST_UID, HOST_UID, FileTime.from(HOST_TIME), "", 2), state(hostDir),
        "the host directory");
    try (Stream<Path> inside = Files.list(hostDir)) {
      assertEquals(List.of(hostFile), inside.toList(), "nothing was created in the host directory");
    }
    assertNull(Syscalls.lgetxattr(hostFile, "trusted.berth-test"));
    assertNull(Syscalls.lgetxattr(hostDir, "trusted.berth-test"));
  }

  private static TarArchiveEntry dir(String name, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name + "/");
    e.setMode(040000 | mode);
    e.setUserId(0);
    e.setGroupId(0);
    e.setLastModifiedTime(FileTime.from(LAYER_TIME));
    e.addPaxHeader("SCHILY.xattr.trusted.berth-test", "from-layer");
    return e;
  }

  private static TarArchiveEntry link(String name, String target, byte type) {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setLinkName(target);
    e.setMode(0777);
    e.setLastModifiedTime(FileTime.from(LAYER_TIME));
    return e;
  }

  private static TarArchiveEntry special(String name, byte type, int major, int minor) {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setMode(0644);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    e.setLastModifiedTime(FileTime.from(LAYER_TIME));
    return e;
  }

  private Path dest() throws IOException {
    return Files.createDirectories(tmp.resolve("layer-" + System.nanoTime()));
  }

  private Path unpack(byte[] tar) throws IOException {
    Path dest = dest();
    new LayerUnpacker().unpack(new ByteArrayInputStream(tar), dest, Digest.of(tar), "hostile layer");
    return dest;
  }

  @Test
  void aDirectoryThenASymlinkOfTheSameNameNeverChangesTheFileItNames() throws IOException {
    byte[] tar = new Tar().entry(dir("a", 06777)).entry(link("a", hostFile.toString(), TarArchiveEntry.LF_SYMLINK))
        .bytes();
    Path dest = unpack(tar);
    assertHostUntouched();
    assertEquals(hostFile, Files.readSymbolicLink(dest.resolve("a")), "the later entry, the link, is what stays");
  }

  @Test
  void aDirectoryThenASymlinkToAHostDirectoryNeverChangesIt() throws IOException {
    byte[] tar = new Tar().entry(dir("etc", 01777)).entry(dir("etc/sub", 0700))
        .entry(link("etc", hostDir.toString(), TarArchiveEntry.LF_SYMLINK)).bytes();
    unpack(tar);
    assertHostUntouched();
  }

  @Test
  void theHostFileIsUntouchedWhenTheLayerIsThenRefusedForItsDiffId() throws IOException {
    byte[] tar = new Tar().entry(dir("a", 04755)).entry(link("a", hostFile.toString(), TarArchiveEntry.LF_SYMLINK))
        .bytes();
    Path dest = dest();
    assertThrows(DigestMismatchException.class, () -> new LayerUnpacker().unpack(new ByteArrayInputStream(tar), dest,
        Digest.of(new byte[] {7}), "hostile layer"));
    assertHostUntouched();
  }

  @Test
  void aSymlinksOwnAttributesStayOnTheLink() throws IOException {
    TarArchiveEntry link = link("s", hostFile.toString(), TarArchiveEntry.LF_SYMLINK);
    link.setUserId(0);
    link.addPaxHeader("SCHILY.xattr.trusted.berth-test", "from-layer");
    Path dest = unpack(new Tar().entry(link).bytes());
    assertHostUntouched();
    assertEquals(0, Files.getAttribute(dest.resolve("s"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
    assertEquals(FileTime.from(LAYER_TIME), Files.getLastModifiedTime(dest.resolve("s"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void anEntryBelowASymlinkThatAnEarlierEntryMadeIsRefused() throws IOException {
    byte[] tar = new Tar().entry(dir("a", 0755)).entry(link("a", hostDir.toString(), TarArchiveEntry.LF_SYMLINK))
        .file("a/shadow", "owned\n", 04777, 0).bytes();
    UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> unpack(tar));
    assertTrue(e.getMessage().contains("a/shadow") && e.getMessage().contains("symlink"), e.getMessage());
    assertHostUntouched();
  }

  @Test
  void aDirectoryEntryBelowASymlinkIsRefused() throws IOException {
    byte[] tar = new Tar().entry(link("a", hostDir.toString(), TarArchiveEntry.LF_SYMLINK)).entry(dir("a/new", 0777))
        .bytes();
    assertThrows(UnsafeLayerException.class, () -> unpack(tar));
    assertHostUntouched();
  }

  @Test
  void aDirectoryEntryInPlaceOfASymlinkReplacesTheLinkNotItsTarget() throws IOException {
    byte[] tar = new Tar().entry(link("a", hostDir.toString(), TarArchiveEntry.LF_SYMLINK)).entry(dir("a", 0700))
        .bytes();
    Path dest = unpack(tar);
    assertHostUntouched();
    assertTrue(Files.isDirectory(dest.resolve("a"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(040700, Files.getAttribute(dest.resolve("a"), "unix:mode", LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void whiteoutsBelowASymlinkAreRefused() throws IOException {
    for (String whiteout : List.of("a/.wh.shadow", "a/.wh..wh..opq")) {
      byte[] tar = new Tar().entry(link("a", hostDir.toString(), TarArchiveEntry.LF_SYMLINK))
          .file(whiteout, "", 0644, 0).bytes();
      assertThrows(UnsafeLayerException.class, () -> unpack(tar), whiteout);
      assertHostUntouched();
    }
  }

  @Test
  void hardLinksThatLeaveTheLayerAreRefused() throws IOException {
    for (String target : List.of("../host/etc/shadow", hostFile.toString(), "a/shadow")) {
      byte[] tar = new Tar().entry(link("a", hostDir.toString(), TarArchiveEntry.LF_SYMLINK))
          .entry(link("h", target, TarArchiveEntry.LF_LINK)).bytes();
      assertThrows(UnsafeLayerException.class, () -> unpack(tar), target);
      assertHostUntouched();
    }
  }

  @Test
  void aHardLinkToASymlinkLinksTheSymlinkItself() throws IOException {
    byte[] tar = new Tar().entry(link("s", hostFile.toString(), TarArchiveEntry.LF_SYMLINK))
        .entry(link("h", "s", TarArchiveEntry.LF_LINK)).bytes();
    Path dest = unpack(tar);
    assertHostUntouched();
    assertEquals(hostFile, Files.readSymbolicLink(dest.resolve("h")));
  }

  @Test
  void dotDotInAnyPartOfANameIsRefused() throws IOException {
    for (String name : List.of("../shadow", "a/../../host/etc/shadow", "./..", "a/..")) {
      byte[] tar = new Tar().file(name, "owned\n", 0644, 0).bytes();
      assertThrows(UnsafeLayerException.class, () -> unpack(tar), name);
      assertHostUntouched();
    }
  }

  @Test
  void aFifoIsCreatedAndGivenItsTimeWithoutBeingOpened() throws IOException {
    byte[] tar = new Tar().entry(special("run/pipe", TarArchiveEntry.LF_FIFO, 0, 0)).file("after", "x", 0644, 0).bytes();
    // Opening a FIFO waits for a writer: an unpack that opens it never returns.
    Path dest = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> unpack(tar));
    Path fifo = dest.resolve("run/pipe");
    assertEquals(Syscalls.S_IFIFO | 0644, Files.getAttribute(fifo, "unix:mode", LinkOption.NOFOLLOW_LINKS));
    assertEquals(FileTime.from(LAYER_TIME), Files.getLastModifiedTime(fifo, LinkOption.NOFOLLOW_LINKS));
    assertEquals("x", Files.readString(dest.resolve("after")));
  }

  @Test
  void deviceNodesAreCreatedAndGivenTheirTimesWithoutBeingOpened() throws IOException {
    byte[] tar = new Tar().entry(special("dev/null", TarArchiveEntry.LF_CHR, 1, 3))
        .entry(special("dev/loop", TarArchiveEntry.LF_BLK, 7, 0)).bytes();
    Path dest = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> unpack(tar));
    assertEquals(Syscalls.S_IFCHR | 0644, Files.getAttribute(dest.resolve("dev/null"), "unix:mode", LinkOption.NOFOLLOW_LINKS));
    assertEquals(Syscalls.S_IFBLK | 0644, Files.getAttribute(dest.resolve("dev/loop"), "unix:mode", LinkOption.NOFOLLOW_LINKS));
    assertEquals(FileTime.from(LAYER_TIME), Files.getLastModifiedTime(dest.resolve("dev/null"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aLayerOverTheSizeCapIsRefusedNamingTheLayerAndTheCap() throws IOException {
    String kib = "x".repeat(1024);
    byte[] tar = new Tar().file("a", kib, 0644, 0).file("b", kib, 0644, 0).file("c", kib, 0644, 0).bytes();
    Path dest = dest();
    LayerTooLargeException e = assertThrows(LayerTooLargeException.class, () -> new LayerUnpacker(2048)
        .unpack(new ByteArrayInputStream(tar), dest, Digest.of(tar), "layer sha256:big"));
    assertTrue(e.getMessage().contains("layer sha256:big") && e.getMessage().contains("2048"), e.getMessage());
    Path fits = dest();
    new LayerUnpacker(3072).unpack(new ByteArrayInputStream(tar), fits, Digest.of(tar), "layer sha256:fits");
    assertEquals(kib, Files.readString(fits.resolve("c"), StandardCharsets.UTF_8));
  }

  @Test
  void anInterruptedUnpackStops() throws IOException {
    byte[] tar = new Tar().file("a", "x", 0644, 0).bytes();
    Path dest = dest();
    Thread.currentThread().interrupt();
    try {
      assertThrows(InterruptedIOException.class, () -> new LayerUnpacker()
          .unpack(new ByteArrayInputStream(tar), dest, Digest.of(tar), "layer x"));
    } finally {
      Thread.interrupted();
    }
    assertFalse(Files.exists(dest.resolve("a")));
  }
}
