package dev.berth.image.unpack;

import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestMismatchException;
import dev.berth.image.store.DigestingInputStream;
import dev.berth.image.sys.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks one layer tar into its own directory, converting AUFS-style whiteouts to what
 * overlayfs reads: {@code .wh.NAME} becomes a 0/0 character device NAME, {@code .wh..wh..opq}
 * the xattr {@code trusted.overlay.opaque=y} on its directory. Owners, modes (with set-id bits),
 * xattrs, hard links, symlinks and device nodes are kept. No entry may land outside the layer
 * directory: absolute names, {@code ..} and writes through a symlink are refused, since a layer
 * is untrusted input that this process, running as root, writes to the host's disk.
 */
public final class LayerUnpacker {

  private static final Logger log = LoggerFactory.getLogger(LayerUnpacker.class);
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  private record DirAttrs(Path dir, TarArchiveEntry entry) {}

  /**
   * Unpacks {@code blob} (plain, gzip or zstd tar) into {@code dest}, which must exist and be
   * empty, and checks that the uncompressed tar has the digest {@code diffId} (null: no check).
   *
   * @return the digest of the uncompressed tar
   */
  public Digest unpack(InputStream blob, Path dest, Digest diffId, String what) throws IOException {
    DigestingInputStream tar = new DigestingInputStream(Decompression.tarStream(blob));
    List<DirAttrs> dirs = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(tar)) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        extract(in, entry, dest, dirs);
      }
      tar.drain();
    }
    // Directory modes and times last: writing the entries inside would change both.
    for (int i = dirs.size() - 1; i >= 0; i--) {
      applyAttributes(dirs.get(i).dir(), dirs.get(i).entry(), false);
    }
    Digest actual = tar.digest();
    if (diffId != null && !diffId.equals(actual)) {
      throw new DigestMismatchException(what + " (uncompressed layer)", diffId, actual);
    }
    return actual;
  }

  private void extract(TarArchiveInputStream in, TarArchiveEntry entry, Path dest, List<DirAttrs> dirs)
      throws IOException {
    String name = entry.getName();
    String rel = safeRelative(name);
    if (rel.isEmpty()) {
      if (entry.isDirectory()) {
        dirs.add(new DirAttrs(dest, entry));
      }
      return;
    }
    Path target = dest.resolve(rel);
    Path parent = ensureParents(dest, rel, name);
    String base = target.getFileName().toString();
    if (base.startsWith(WHITEOUT)) {
      whiteout(parent, base, name);
      return;
    }
    boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
    if (exists && !(entry.isDirectory() && Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS))) {
      FileTrees.deleteRecursively(target);
    }
    if (entry.isDirectory()) {
      if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(target);
      }
      dirs.add(new DirAttrs(target, entry));
      return;
    }
    if (entry.isSymbolicLink()) {
      // The link's target is only ever resolved inside the container's root, so any text is fine;
      // what must not happen is a later entry writing through it, which ensureParents refuses.
      Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
      applyAttributes(target, entry, true);
      return;
    }
    if (entry.isLink()) {
      String linkRel = safeRelative(entry.getLinkName());
      if (linkRel.isEmpty()) {
        throw new UnsafeLayerException(name, "hard link to the layer root");
      }
      ensureParents(dest, linkRel, name);
      Path source = dest.resolve(linkRel);
      if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
        throw new UnsafeLayerException(name, "hard link to \"" + entry.getLinkName() + "\", which is not in this layer");
      }
      Files.createLink(target, source);
      return;
    }
    if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
      int type = entry.isCharacterDevice() ? Syscalls.S_IFCHR : entry.isBlockDevice() ? Syscalls.S_IFBLK : Syscalls.S_IFIFO;
      Syscalls.mknod(target, type | (entry.getMode() & 07777), entry.getDevMajor(), entry.getDevMinor());
      applyAttributes(target, entry, false);
      return;
    }
    if (entry.isFile()) {
      try (OutputStream out = Files.newOutputStream(target)) {
        in.transferTo(out);
      }
      applyAttributes(target, entry, false);
      return;
    }
    log.debug("skipping layer entry {} of tar type {}", name, (char) entry.getLinkFlag());
  }

  private static void whiteout(Path parent, String base, String name) throws IOException {
    if (base.equals(OPAQUE)) {
      Syscalls.lsetxattr(parent, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
      return;
    }
    if (base.startsWith(WHITEOUT + WHITEOUT)) {
      return; // AUFS bookkeeping such as .wh..wh.plnk: nothing for overlayfs
    }
    String hidden = base.substring(WHITEOUT.length());
    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
      throw new UnsafeLayerException(name, "whiteout without a name");
    }
    Path victim = parent.resolve(hidden);
    FileTrees.deleteRecursively(victim);
    Syscalls.mknod(victim, Syscalls.S_IFCHR, 0, 0);
  }

  /** The entry name as a relative path with no {@code .} or {@code ..}; "" for the root. */
  static String safeRelative(String name) throws UnsafeLayerException {
    if (name.startsWith("/")) {
      throw new UnsafeLayerException(name, "absolute path");
    }
    if (name.indexOf('\0') >= 0) {
      throw new UnsafeLayerException(name, "NUL in name");
    }
    StringBuilder out = new StringBuilder();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new UnsafeLayerException(name, "\"..\" in path");
      }
      if (!out.isEmpty()) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }

  /**
   * Makes the entry's parent directories and refuses when any of them is a symlink: following
   * one could put the entry anywhere on the host.
   */
  private static Path ensureParents(Path dest, String rel, String name) throws IOException {
    Path current = dest;
    String[] parts = rel.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      current = current.resolve(parts[i]);
      if (Files.isSymbolicLink(current)) {
        throw new UnsafeLayerException(name, "path goes through the symlink \"" + dest.relativize(current) + "\"");
      }
      if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(current);
      } else if (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
        throw new UnsafeLayerException(name, "\"" + dest.relativize(current) + "\" is not a directory");
      }
    }
    return current;
  }

  private static void applyAttributes(Path target, TarArchiveEntry entry, boolean symlink) throws IOException {
    Syscalls.lchown(target, (int) entry.getLongUserId(), (int) entry.getLongGroupId());
    for (Map.Entry<String, String> pax : entry.getExtraPaxHeaders().entrySet()) {
      String key = pax.getKey();
      byte[] value = null;
      String attr = null;
      if (key.startsWith("SCHILY.xattr.")) {
        attr = key.substring("SCHILY.xattr.".length());
        value = pax.getValue().getBytes(StandardCharsets.UTF_8);
      } else if (key.startsWith("LIBARCHIVE.xattr.")) {
        attr = java.net.URLDecoder.decode(key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
        value = Base64.getDecoder().decode(pax.getValue());
      }
      if (attr != null) {
        try {
          Syscalls.lsetxattr(target, attr, value);
        } catch (IOException e) {
          // Some filesystems refuse some namespaces (security.* under a policy): the file is
          // still usable, so say so and go on.
          log.debug("xattr {} not set on {}: {}", attr, target, e.getMessage());
        }
      }
    }
    if (symlink) {
      return;
    }
    // After chown: chown clears set-uid and set-gid bits.
    Syscalls.chmod(target, entry.getMode());
    if (entry.getLastModifiedTime() != null) {
      Files.setLastModifiedTime(target, FileTime.from(entry.getLastModifiedTime().toInstant()));
    }
  }
}
