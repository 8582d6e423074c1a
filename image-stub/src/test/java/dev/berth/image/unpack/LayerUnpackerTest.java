package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestMismatchException;
import dev.berth.linux.Syscalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class LayerUnpackerTest {

  @TempDir
  Path tmp;

  /** A tiny tar builder for hand-made (and hostile) layers. */
  static final class Tar {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

    Tar() {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    }

    Tar dir(String name, int mode) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
      e.setMode(mode);
      out.putArchiveEntry(e);
      out.closeArchiveEntry();
      return this;
    }

    Tar file(String name, String content, int mode, int uid) throws IOException {
      byte[] data = content.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry(name, true);
      e.setSize(data.length);
      e.setMode(mode);
      e.setUserId(uid);
      e.setGroupId(uid);
      out.putArchiveEntry(e);
      out.write(data);
      out.closeArchiveEntry();
      return this;
    }

    Tar link(String name, String target, byte type) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name, type, true);
      e.setLinkName(target);
      out.putArchiveEntry(e);
      out.closeArchiveEntry();
      return this;
    }

    /** Adds an entry as built, with no content (directories, links, special files). */
    Tar entry(TarArchiveEntry e) throws IOException {
      out.putArchiveEntry(e);
      out.closeArchiveEntry();
      return this;
    }

    byte[] bytes() throws IOException {
      out.finish();
      return bytes.toByteArray();
    }
  }

  private Path unpack(byte[] tar) throws IOException {
    Path dest = Files.createDirectories(tmp.resolve("layer-" + System.nanoTime()));
    new LayerUnpacker().unpack(new ByteArrayInputStream(tar), dest, Digest.of(tar), "test layer");
    return dest;
  }

  @Test
  void filesModesOwnersLinksAreKept() throws IOException {
    byte[] tar = new Tar().dir("bin", 0755).file("bin/su", "x", 04755, 0).file("home/u/f", "hello", 0640, 1000)
        .link("bin/sh", "su", TarArchiveEntry.LF_SYMLINK).link("bin/su2", "bin/su", TarArchiveEntry.LF_LINK).bytes();
    Path dest = unpack(tar);
    assertEquals("hello", Files.readString(dest.resolve("home/u/f")));
    assertEquals(1000, Files.getAttribute(dest.resolve("home/u/f"), "unix:uid"));
    assertEquals(04755, (Integer) Files.getAttribute(dest.resolve("bin/su"), "unix:mode") & 07777);
    assertEquals(Path.of("su"), Files.readSymbolicLink(dest.resolve("bin/sh")));
    assertEquals(Files.getAttribute(dest.resolve("bin/su"), "unix:ino"), Files.getAttribute(dest.resolve("bin/su2"), "unix:ino"));
  }

  @Test
  void gzipLayerIsDetectedByItsMagic() throws IOException {
    byte[] tar = new Tar().file("a", "gz", 0644, 0).bytes();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream out = new GzipCompressorOutputStream(gz)) {
      out.write(tar);
    }
    Path dest = Files.createDirectories(tmp.resolve("gz"));
    Digest diffId = new LayerUnpacker().unpack(new ByteArrayInputStream(gz.toByteArray()), dest, Digest.of(tar), "gz");
    assertEquals(Digest.of(tar), diffId);
    assertEquals("gz", Files.readString(dest.resolve("a")));
  }

  @Test
  void whiteoutsBecomeOverlayWhiteoutsAndOpaqueDirs() throws IOException {
    byte[] tar = new Tar().dir("etc", 0755).file("etc/.wh.gone", "", 0644, 0).dir("var", 0755)
        .file("var/.wh..wh..opq", "", 0644, 0).bytes();
    Path dest = unpack(tar);
    Path gone = dest.resolve("etc/gone");
    assertTrue(Files.exists(gone, LinkOption.NOFOLLOW_LINKS));
    assertEquals(Syscalls.S_IFCHR, (Integer) Files.getAttribute(gone, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000);
    assertEquals(0L, ((Number) Files.getAttribute(gone, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).longValue());
    assertFalse(Files.exists(dest.resolve("etc/.wh.gone"), LinkOption.NOFOLLOW_LINKS));
    assertArrayEquals("y".getBytes(), Syscalls.lgetxattr(dest.resolve("var"), "trusted.overlay.opaque"));
  }

  @Test
  void dotDotEntryIsRefused() throws IOException {
    byte[] tar = new Tar().file("a/../../escaped", "x", 0644, 0).bytes();
    UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> unpack(tar));
    assertTrue(e.getMessage().contains("a/../../escaped"));
    assertFalse(Files.exists(tmp.resolve("escaped")));
  }

  @Test
  void absoluteEntryIsRefused() throws IOException {
    byte[] tar = new Tar().file("/tmp/berth-absolute-" + System.nanoTime(), "x", 0644, 0).bytes();
    assertThrows(UnsafeLayerException.class, () -> unpack(tar));
  }

  @Test
  void writingThroughASymlinkIsRefused() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    byte[] tar = new Tar().link("evil", outside.toString(), TarArchiveEntry.LF_SYMLINK)
        .file("evil/pwned", "x", 0644, 0).bytes();
    assertThrows(UnsafeLayerException.class, () -> unpack(tar));
    assertFalse(Files.exists(outside.resolve("pwned")));
  }

  @Test
  void hardLinkOutsideTheLayerIsRefused() throws IOException {
    byte[] tar = new Tar().link("passwd", "../../etc/passwd", TarArchiveEntry.LF_LINK).bytes();
    assertThrows(UnsafeLayerException.class, () -> unpack(tar));
  }

  @Test
  void wrongDiffIdIsAnError() throws IOException {
    byte[] tar = new Tar().file("a", "x", 0644, 0).bytes();
    Path dest = Files.createDirectories(tmp.resolve("mismatch"));
    Digest wrong = Digest.of(new byte[] {1});
    DigestMismatchException e = assertThrows(DigestMismatchException.class,
        () -> new LayerUnpacker().unpack(new ByteArrayInputStream(tar), dest, wrong, "layer x"));
    assertEquals(wrong, e.expected());
  }
}
