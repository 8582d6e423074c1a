package dev.berth.runtime.container;

import dev.berth.runtime.model.CriException;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.runtime.userns.NamespaceHolder;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the OCI runtime binds a host file or directory from into a container: the host path
 * itself, or, in a pod with its own user namespace, an idmapped copy of it, so that its owners
 * appear inside as they are on the host and what the container writes lands with its own ids.
 */
interface BindSources {

  /** The host path itself: a container in the node's user namespace. */
  BindSources AS_THEY_ARE = (host, mountMapping) -> host;

  /**
   * The path to bind {@code host} from; {@code mountMapping} is the mount's own uid/gid mappings
   * (CRI {@code uidMappings}/{@code gidMappings}), or null.
   */
  Path source(Path host, UserNamespaceMapping mountMapping) throws IOException;

  /** Idmapped copies staged for one container of a pod with its own user namespace. */
  final class Idmapped implements BindSources {

    private final IdmapStaging staging;
    private final String podId;
    private final String containerId;
    private final Path podUserNamespace;
    private final UserNamespaceMapping podMapping;
    private int next;

    Idmapped(IdmapStaging staging, String podId, String containerId, Path podUserNamespace,
        UserNamespaceMapping podMapping) {
      this.staging = staging;
      this.podId = podId;
      this.containerId = containerId;
      this.podUserNamespace = podUserNamespace;
      this.podMapping = podMapping;
    }

    @Override
    public Path source(Path host, UserNamespaceMapping mountMapping) throws IOException {
      int index = next++;
      try {
        if (mountMapping == null) {
          return staging.stageBind(podId, containerId, index, host, podUserNamespace, podMapping);
        }
        // A mount of its own mapping is idmapped by a user namespace made for it; the idmap holds
        // that namespace, so its holder may end at once.
        try (NamespaceHolder holder = NamespaceHolder.start(mountMapping)) {
          return staging.stageBind(podId, containerId, index, host, holder.namespace("user"), podMapping);
        }
      } catch (IOException e) {
        // Most often a filesystem the kernel cannot idmap (procfs, an old network filesystem).
        throw new CriException.FailedPrecondition("mount of " + host + " in a pod with its own user namespace:"
            + " no idmapped copy could be made (" + e.getMessage() + ")");
      }
    }
  }
}
