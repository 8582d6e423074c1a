package dev.berth.runtime.server;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's root and state directories and the directories directly below them hold records
 * (with the pods' environment variables), bundles, attach sockets, exit files and image blobs:
 * only root may enter them. Both levels are private so that one directory widened by hand, or
 * created beforehand by a package with 0755, does not expose the rest. Only the runtime (running
 * as root, with CAP_DAC_OVERRIDE) walks these paths: runc enters a container's rootfs and binds
 * the pod files before it drops to the container's user, so a non-root container needs no
 * search permission on the way.
 */
public final class PrivateDirectories {

  private static final Logger log = LoggerFactory.getLogger(PrivateDirectories.class);
  static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> GROUP_AND_OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  /** root/containers/ID/bundle/rootfs is the deepest level the daemon itself creates. */
  private static final int MAX_DEPTH = 4;

  private PrivateDirectories() {}

  /**
   * Creates the directory (and missing parents) 0700, or takes group and other access from an
   * existing one. A directory others may write to (such as /tmp) is shared with other users and
   * programs: tightening it would break them, so the daemon refuses it instead.
   */
  public static void create(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(MODE));
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
    if (mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("directory " + dir + " is writable by every user (" + PosixFilePermissions.toString(mode)
          + "); Berth needs a directory of its own");
    }
    restrict(dir);
  }

  /**
   * Restricts every directory of the daemon's own below {@code top}, as deep as the daemon nests
   * them, so that directories an older Berth created with the umask's 0755 are tightened at
   * start. Directories named in {@code containerOwned} (a rootfs, an overlay upper dir, a pod's
   * /dev/shm) are a container's own "/" or mount and keep their modes, with all below them; those
   * named in {@code foreignChildren} are tightened themselves but what is inside them belongs to
   * someone else (unpacked layers, runc's own state directories) and is left as it is.
   */
  public static void restrictTree(Path top, Set<String> containerOwned, Set<String> foreignChildren)
      throws IOException {
    Files.walkFileTree(top, Set.of(), MAX_DEPTH, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
        if (!dir.equals(top)) {
          if (containerOwned.contains(dir.getFileName().toString())) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          Path parent = dir.getParent();
          if (parent != null && !parent.equals(top) && foreignChildren.contains(parent.getFileName().toString())) {
            return FileVisitResult.SKIP_SUBTREE;
          }
        }
        restrict(dir);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        // A directory removed while we walk (a container being deleted) is nothing to tighten.
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void restrict(Path dir) throws IOException {
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
    if (mode.stream().anyMatch(GROUP_AND_OTHERS::contains)) {
      Set<PosixFilePermission> tightened = EnumSet.copyOf(mode);
      tightened.removeAll(GROUP_AND_OTHERS);
      Files.setPosixFilePermissions(dir, tightened);
      log.debug("{} was {}, now {}", dir, PosixFilePermissions.toString(mode), PosixFilePermissions.toString(tightened));
    }
  }
}
