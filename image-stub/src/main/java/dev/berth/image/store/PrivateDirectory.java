package dev.berth.image.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Directories the daemon keeps for itself (records, bundles, blobs, pod files): created
 * 0700 from the start, rather than with the umask's 0755 and tightened later, so that no
 * window exists in which another user may enter one. Directories a container sees as its own
 * (a rootfs, /dev/shm) are not made here: they keep the modes the container expects.
 */
public final class PrivateDirectory {

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private PrivateDirectory() {}

  /** Creates the directory and its missing parents 0700; an existing one is left as it is. */
  public static Path create(Path dir) throws IOException {
    return Files.createDirectories(dir, OWNER_ONLY);
  }
}
