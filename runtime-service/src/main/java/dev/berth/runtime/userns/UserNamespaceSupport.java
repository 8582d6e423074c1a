package dev.berth.runtime.userns;

import dev.berth.runtime.sys.IdmappedMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Optional;

/**
 * Whether this node lets Berth run pods with a user namespace of their own, asked once at start:
 * a holder process can make a mapped user namespace, the filesystems Berth binds from can be
 * idmapped by it, and a pod's root can search its way to the staging directory. The runtime's
 * part (it can join a user namespace) is the runtime handler's own.
 */
public final class UserNamespaceSupport {

  /** Any mapping will do: the probe only asks whether the kernel idmaps these filesystems. */
  private static final IdMapping PROBE_RANGE = new IdMapping(0, 1 << 16, 1 << 16);

  private UserNamespaceSupport() {}

  /**
   * Why such pods cannot run here, or empty when they can.
   *
   * @param filesystems directories on each filesystem whose files Berth idmaps (the image store
   *     with the containers' upper directories, the state directory with the pod files)
   * @param staging the directory the idmapped root filesystems are attached under
   */
  public static Optional<String> problem(List<Path> filesystems, Path staging) {
    if (!Files.isExecutable(NamespaceHolder.UNSHARE)) {
      return Optional.of(NamespaceHolder.UNSHARE + " (util-linux) is missing");
    }
    Optional<String> closed = closedAncestor(staging);
    if (closed.isPresent()) {
      return closed;
    }
    try (NamespaceHolder holder = NamespaceHolder.start(new UserNamespaceMapping(PROBE_RANGE, PROBE_RANGE))) {
      for (Path path : filesystems) {
        IdmappedMount.check(path, holder.namespace("user"));
      }
    } catch (IOException e) {
      return Optional.of(e.getMessage());
    }
    return Optional.empty();
  }

  /** The first directory on the way to {@code dir} that a pod's root (another user) may not search. */
  static Optional<String> closedAncestor(Path dir) {
    for (Path level = dir.toAbsolutePath().normalize(); level != null; level = level.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(level).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return Optional.of("directory " + level + " does not let other users search it, and a pod's root must reach "
              + dir + " through it");
        }
      } catch (IOException e) {
        return Optional.of("cannot read the mode of " + level + ": " + e.getMessage());
      }
    }
    return Optional.empty();
  }
}
