package dev.berth.image.unpack;

import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestMismatchException;
import dev.berth.image.store.DigestingInputStream;
import dev.berth.linux.DirectoryHandle;
import dev.berth.linux.EntryAttributes;
import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
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
 * xattrs, times, hard links, symlinks and device nodes are kept. A layer is untrusted input that
 * this process, running as root, writes to the host's disk, so nothing it says may reach outside
 * the layer directory: absolute names and {@code ..} are refused, and every entry is created and
 * given its attributes relative to a handle on its parent directory, opened without following
 * symlinks ({@link LayerTree}), on the entry itself and never through a link. Special files are
 * created, never opened. An optional cap bounds the bytes of file content one layer may unpack to.
 */
public final class LayerUnpacker {

  private static final Logger log = LoggerFactory.getLogger(LayerUnpacker.class);
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  private static final int COPY_BUFFER = 1 << 16;

  private final long maxUnpackedBytes;

  /** An unpacker without a size cap. */
  public LayerUnpacker() {
    this(0);
  }

  /** @param maxUnpackedBytes the most bytes of file content one layer may unpack to; 0 for no cap */
  public LayerUnpacker(long maxUnpackedBytes) {
    if (maxUnpackedBytes < 0) {
      throw new IllegalArgumentException("layer size cap must not be negative: " + maxUnpackedBytes);
    }
    this.maxUnpackedBytes = maxUnpackedBytes;
  }

  /** Bytes of file content written so far, against the cap. */
  private final class Budget {
    private final String what;
    private long used;

    Budget(String what) {
      this.what = what;
    }

    /** Refuses a file whose declared size alone would pass the cap, before any of it is written. */
    void checkRoom(long declared) throws LayerTooLargeException {
      if (maxUnpackedBytes > 0 && declared > maxUnpackedBytes - used) {
        throw new LayerTooLargeException(what, maxUnpackedBytes);
      }
    }

    void spend(long bytes) throws LayerTooLargeException {
      used += bytes;
      if (maxUnpackedBytes > 0 && used > maxUnpackedBytes) {
        throw new LayerTooLargeException(what, maxUnpackedBytes);
      }
    }
  }

  /**
   * Unpacks {@code blob} (plain, gzip or zstd tar) into {@code dest}, which must exist and be
   * empty, and checks that the uncompressed tar has the digest {@code diffId} (null: no check).
   * Stops with an {@link InterruptedIOException} when the calling thread is interrupted.
   *
   * @return the digest of the uncompressed tar
   */
  public Digest unpack(InputStream blob, Path dest, Digest diffId, String what) throws IOException {
    DigestingInputStream tar = new DigestingInputStream(Decompression.tarStream(blob));
    // Directory modes and times last (writing the entries inside would change both); the last
    // entry for a name wins.
    Map<String, TarArchiveEntry> dirs = new HashMap<>();
    Budget budget = new Budget(what);
    try (LayerTree tree = LayerTree.open(dest); TarArchiveInputStream in = new TarArchiveInputStream(tar)) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        checkNotCancelled(what);
        extract(in, entry, tree, dirs, budget);
      }
      tar.drain();
      applyDirectoryAttributes(tree, dirs);
    }
    Digest actual = tar.digest();
    if (diffId != null && !diffId.equals(actual)) {
      throw new DigestMismatchException(what + " (uncompressed layer)", diffId, actual);
    }
    return actual;
  }

  private static void checkNotCancelled(String what) throws InterruptedIOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("unpacking " + what + " was cancelled");
    }
  }

  private void extract(TarArchiveInputStream in, TarArchiveEntry entry, LayerTree tree,
      Map<String, TarArchiveEntry> dirs, Budget budget) throws IOException {
    String name = entry.getName();
    String rel = safeRelative(name);
    if (rel.isEmpty()) {
      if (entry.isDirectory()) {
        dirs.put(rel, entry);
      }
      return;
    }
    DirectoryHandle parent = tree.parentFor(rel, name);
    String base = LayerTree.lastComponent(rel);
    if (base.startsWith(WHITEOUT)) {
      whiteout(parent, base, name);
      return;
    }
    if (entry.isDirectory()) {
      try {
        parent.mkdir(base, 0700);
      } catch (IOException e) {
        if (!DirectoryHandle.isAlreadyExists(e)) {
          throw e;
        }
        // A directory of that name stays (with what earlier entries put in it); anything else goes.
        if (parent.kind(base) != DirectoryHandle.Kind.DIRECTORY) {
          LayerTree.remove(parent, base);
          parent.mkdir(base, 0700);
        }
      }
      dirs.put(rel, entry);
      return;
    }
    if (entry.isSymbolicLink()) {
      // The link's target is only ever resolved inside the container's root, so any text is fine;
      // what must not happen is a later entry or attribute going through it, which the handles refuse.
      replacing(parent, base, () -> parent.symlink(base, entry.getLinkName()));
      applyAttributes(parent.entry(base), entry, true);
      return;
    }
    if (entry.isLink()) {
      hardLink(tree, parent, base, entry);
      return;
    }
    if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
      int type = entry.isCharacterDevice() ? Syscalls.S_IFCHR : entry.isBlockDevice() ? Syscalls.S_IFBLK : Syscalls.S_IFIFO;
      replacing(parent, base, () -> parent.mknod(base, type | (entry.getMode() & 07777), entry.getDevMajor(),
          entry.getDevMinor()));
      applyAttributes(parent.entry(base), entry, false);
      return;
    }
    if (entry.isFile()) {
      budget.checkRoom(entry.getSize());
      DirectoryHandle.NewFile[] created = new DirectoryHandle.NewFile[1];
      replacing(parent, base, () -> created[0] = parent.createFile(base));
      try (DirectoryHandle.NewFile file = created[0]) {
        copy(in, file, budget);
        applyAttributes(file, entry, false);
      }
      return;
    }
    log.debug("skipping layer entry {} of tar type {}", name, (char) entry.getLinkFlag());
  }

  @FunctionalInterface
  private interface Create {
    void run() throws IOException;
  }

  /** Creates the entry; when its name is taken (an earlier entry), that entry goes first, as tar does. */
  private static void replacing(DirectoryHandle parent, String base, Create create) throws IOException {
    try {
      create.run();
    } catch (IOException e) {
      if (!DirectoryHandle.isAlreadyExists(e)) {
        throw e;
      }
      LayerTree.remove(parent, base);
      create.run();
    }
  }

  private static void copy(InputStream in, OutputStream out, Budget budget) throws IOException {
    byte[] buffer = new byte[COPY_BUFFER];
    int n;
    while ((n = in.read(buffer)) > 0) {
      budget.spend(n);
      checkNotCancelled(budget.what);
      out.write(buffer, 0, n);
    }
  }

  private static void hardLink(LayerTree tree, DirectoryHandle parent, String base, TarArchiveEntry entry)
      throws IOException {
    String name = entry.getName();
    String linkRel = safeRelative(entry.getLinkName());
    if (linkRel.isEmpty()) {
      throw new UnsafeLayerException(name, "hard link to the layer root");
    }
    String notHere = "hard link to \"" + entry.getLinkName() + "\", which is not in this layer";
    try (DirectoryHandle sourceDir = tree.existingParent(linkRel)) {
      String sourceName = LayerTree.lastComponent(linkRel);
      if (sourceDir == null || sourceDir.kind(sourceName) == DirectoryHandle.Kind.MISSING) {
        throw new UnsafeLayerException(name, notHere);
      }
      if (sourceDir.kind(sourceName) == DirectoryHandle.Kind.DIRECTORY) {
        throw new UnsafeLayerException(name, "hard link to the directory \"" + entry.getLinkName() + "\"");
      }
      replacing(parent, base, () -> parent.link(base, sourceDir, sourceName));
    }
  }

  private static void whiteout(DirectoryHandle parent, String base, String name) throws IOException {
    if (base.equals(OPAQUE)) {
      parent.setOwnXattr("trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
      return;
    }
    if (base.startsWith(WHITEOUT + WHITEOUT)) {
      return; // AUFS bookkeeping such as .wh..wh.plnk: nothing for overlayfs
    }
    String hidden = base.substring(WHITEOUT.length());
    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
      throw new UnsafeLayerException(name, "whiteout without a name");
    }
    if (parent.kind(hidden) != DirectoryHandle.Kind.MISSING) {
      LayerTree.remove(parent, hidden);
    }
    parent.mknod(hidden, Syscalls.S_IFCHR, 0, 0);
  }

  /**
   * Directories deepest first; a directory that a later entry replaced (by a file, a symlink)
   * or cut off (a symlink in its path) is no longer the entry's and is skipped.
   */
  private static void applyDirectoryAttributes(LayerTree tree, Map<String, TarArchiveEntry> dirs) throws IOException {
    List<String> deepestFirst = new ArrayList<>(dirs.keySet());
    deepestFirst.sort(Comparator.comparingLong((String rel) -> rel.chars().filter(c -> c == '/').count())
        .thenComparing(String::length).reversed());
    for (String rel : deepestFirst) {
      TarArchiveEntry entry = dirs.get(rel);
      if (rel.isEmpty()) {
        applyAttributes(tree.rootParent().entry(tree.rootName()), entry, false);
        continue;
      }
      try (DirectoryHandle parent = tree.existingParent(rel)) {
        String base = LayerTree.lastComponent(rel);
        if (parent != null && parent.kind(base) == DirectoryHandle.Kind.DIRECTORY) {
          applyAttributes(parent.entry(base), entry, false);
        }
      }
    }
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

  /** Owner, xattrs, mode and times of the entry itself, never of what a link names. */
  private static void applyAttributes(EntryAttributes target, TarArchiveEntry entry, boolean symlink)
      throws IOException {
    target.chown((int) entry.getLongUserId(), (int) entry.getLongGroupId());
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
          target.setXattr(attr, value);
        } catch (IOException e) {
          // Some filesystems refuse some namespaces (security.* under a policy): the file is
          // still usable, so say so and go on.
          log.debug("xattr {} not set on {}: {}", attr, target.shownAs(), e.getMessage());
        }
      }
    }
    if (!symlink) {
      // After chown: chown clears set-uid and set-gid bits.
      target.chmod(entry.getMode());
    }
    if (entry.getLastModifiedTime() != null) {
      Instant modified = entry.getLastModifiedTime().toInstant();
      Instant accessed = entry.getLastAccessTime() != null ? entry.getLastAccessTime().toInstant() : modified;
      target.setTimes(accessed, modified);
    }
  }
}
