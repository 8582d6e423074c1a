package dev.berth.runtime.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
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
   * Restricts every directory directly below {@code dir} except those named in {@code shared}:
   * a rootfs that a container sees as its "/" keeps its own mode.
   */
  public static void restrictChildren(Path dir, Set<String> shared) throws IOException {
    try (Stream<Path> children = Files.list(dir)) {
      for (Path child : children.toList()) {
        if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS) && !shared.contains(child.getFileName().toString())) {
          restrict(child);
        }
      }
    }
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
