package dev.berth.image.unpack;

import dev.berth.linux.DirectoryHandle;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The layer directory being written, reached only through directory handles opened one
 * component at a time with {@code O_NOFOLLOW}: whatever symlinks earlier entries made, no
 * later entry, attribute or deletion can land outside the layer. The parent directory of the
 * latest entry is kept open, since a tar lists a directory's files one after another.
 */
final class LayerTree implements AutoCloseable {

  private final DirectoryHandle outer;
  private final String rootName;
  private final DirectoryHandle root;
  private String cachedRel;
  private DirectoryHandle cached;

  private LayerTree(DirectoryHandle outer, String rootName, DirectoryHandle root) {
    this.outer = outer;
    this.rootName = rootName;
    this.root = root;
  }

  /** Opens {@code dest}, the (new, empty) directory the layer goes into. */
  static LayerTree open(Path dest) throws IOException {
    Path abs = dest.toAbsolutePath();
    DirectoryHandle outer = DirectoryHandle.open(abs.getParent());
    try {
      String name = abs.getFileName().toString();
      return new LayerTree(outer, name, outer.openDirectory(name));
    } catch (IOException | RuntimeException e) {
      outer.close();
      throw e;
    }
  }

  /** The directory holding the layer's root, and the root's name in it: for the root's own attributes. */
  DirectoryHandle rootParent() {
    return outer;
  }

  String rootName() {
    return rootName;
  }

  /**
   * The parent directory of {@code rel} (a safe relative path, not the root), made when missing;
   * refuses a parent that is a symlink or not a directory. The handle stays owned by this tree
   * and is valid until the next call; removing entries in it does not invalidate it.
   */
  DirectoryHandle parentFor(String rel, String entryName) throws IOException {
    String parentRel = parentOf(rel);
    if (parentRel.equals(cachedRel)) {
      return cached;
    }
    DirectoryHandle parent = walk(parentRel, entryName, true);
    if (cached != null && cached != root) {
      cached.close();
    }
    cached = parent;
    cachedRel = parentRel;
    return parent;
  }

  /**
   * The parent directory of {@code rel} as it is now, with nothing made; null when a component
   * is missing, a symlink or not a directory. The caller closes it.
   */
  DirectoryHandle existingParent(String rel) throws IOException {
    try {
      DirectoryHandle parent = walk(parentOf(rel), rel, false);
      return parent == root ? outer.openDirectory(rootName) : parent;
    } catch (UnsafeLayerException e) {
      return null;
    }
  }

  /** Removes {@code name} in {@code dir}, a whole directory tree included, never following a link. */
  static void remove(DirectoryHandle dir, String name) throws IOException {
    if (dir.kind(name) == DirectoryHandle.Kind.DIRECTORY) {
      FileTrees.deleteRecursively(dir.anchored(name));
    } else {
      dir.unlink(name);
    }
  }

  static String lastComponent(String rel) {
    return rel.substring(rel.lastIndexOf('/') + 1);
  }

  private static String parentOf(String rel) {
    int slash = rel.lastIndexOf('/');
    return slash < 0 ? "" : rel.substring(0, slash);
  }

  /** Opens {@code rel} below the root component by component; the root itself when rel is "". */
  private DirectoryHandle walk(String rel, String entryName, boolean create) throws IOException {
    if (rel.isEmpty()) {
      return root;
    }
    DirectoryHandle current = root;
    String walked = "";
    try {
      for (String part : rel.split("/")) {
        walked = walked.isEmpty() ? part : walked + "/" + part;
        switch (current.kind(part)) {
          case MISSING -> {
            if (!create) {
              throw new UnsafeLayerException(entryName, "\"" + walked + "\" does not exist");
            }
            current.mkdir(part, 0755);
          }
          case SYMLINK -> throw new UnsafeLayerException(entryName, "path goes through the symlink \"" + walked + "\"");
          case OTHER -> throw new UnsafeLayerException(entryName, "\"" + walked + "\" is not a directory");
          case DIRECTORY -> { }
        }
        // O_NOFOLLOW | O_DIRECTORY: even a symlink swapped in since the look above is refused.
        DirectoryHandle next = current.openDirectory(part);
        if (current != root) {
          current.close();
        }
        current = next;
      }
      return current;
    } catch (IOException | RuntimeException e) {
      if (current != root) {
        current.close();
      }
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try (outer; root) {
      if (cached != null && cached != root) {
        cached.close();
      }
    }
  }
}
