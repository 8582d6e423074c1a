package dev.berth.runtime.cri;

import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.UserNamespace;
import dev.berth.runtime.handler.RuntimeHandler;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.util.List;

/**
 * A pod's {@code userns_options} (KEP-127) checked at the edge. NODE is the host's user
 * namespace, what every pod gets today. POD needs exactly one uid and one gid mapping that map
 * container id 0 (as the kubelet sends them and critest expects), and a runtime handler that
 * reports {@code user_namespaces}; CONTAINER and TARGET are no user namespace modes at all.
 */
final class UserNamespaceOptions {

  private static final long ID_SPACE = 1L << 32;

  private UserNamespaceOptions() {}

  static void check(UserNamespace userns, RuntimeHandler handler) {
    NamespaceMode mode = userns.getMode();
    switch (mode) {
      case NODE -> {
        if (userns.getUidsCount() > 0 || userns.getGidsCount() > 0) {
          throw new CriException.InvalidArgument("userns_options mode NODE takes no uids or gids mappings");
        }
      }
      case POD -> {
        mapping(userns.getUidsList(), "uids");
        mapping(userns.getGidsList(), "gids");
        if (!handler.features().userNamespaces()) {
          throw new CriException.FailedPrecondition("userns_options mode POD: runtime handler \"" + handler.name()
              + "\" does not support user namespaces on this node (Status runtime_handlers features"
              + " user_namespaces is false)");
        }
      }
      default -> throw new CriException.InvalidArgument("userns_options mode " + mode
          + " is not supported: a pod has its own user namespace (POD) or the node's (NODE)");
    }
  }

  /**
   * The mapping of a pod's own user namespace (mode POD, already {@link #check checked}), or null
   * for the node's. Such a pod shares none of the node's namespaces: a user namespace of its own
   * could not own them, and the kubelet never asks for both.
   */
  static UserNamespaceMapping podMapping(NamespaceOption namespaces) {
    if (!namespaces.hasUsernsOptions() || namespaces.getUsernsOptions().getMode() != NamespaceMode.POD) {
      return null;
    }
    for (var host : List.of(
        java.util.Map.entry("network", namespaces.getNetwork()),
        java.util.Map.entry("pid", namespaces.getPid()),
        java.util.Map.entry("ipc", namespaces.getIpc()))) {
      if (host.getValue() == NamespaceMode.NODE) {
        throw new CriException.InvalidArgument("userns_options mode POD cannot be combined with namespace_options "
            + host.getKey() + " NODE: the node's namespaces belong to the node's user namespace");
      }
    }
    UserNamespace userns = namespaces.getUsernsOptions();
    return new UserNamespaceMapping(idMapping(userns.getUids(0)), idMapping(userns.getGids(0)));
  }

  /** The pod's user namespace as PodSandboxStatus reports it: NODE, or POD with its mappings. */
  static UserNamespace status(UserNamespaceMapping mapping) {
    if (mapping == null) {
      return UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build();
    }
    return UserNamespace.newBuilder().setMode(NamespaceMode.POD)
        .addUids(criMapping(mapping.uids())).addGids(criMapping(mapping.gids())).build();
  }

  private static IDMapping criMapping(IdMapping m) {
    return IDMapping.newBuilder().setContainerId((int) m.containerId()).setHostId((int) m.hostId())
        .setLength((int) m.length()).build();
  }

  /** One CRI mapping as the domain's; the CRI's uint32 fields are unsigned. */
  static IdMapping idMapping(IDMapping m) {
    return new IdMapping(Integer.toUnsignedLong(m.getContainerId()), Integer.toUnsignedLong(m.getHostId()),
        Integer.toUnsignedLong(m.getLength()));
  }

  private static void mapping(List<IDMapping> mappings, String field) {
    if (mappings.size() != 1) {
      throw new CriException.InvalidArgument("userns_options " + field + " must hold exactly one mapping, got "
          + mappings.size());
    }
    IDMapping m = mappings.getFirst();
    if (m.getContainerId() != 0) {
      throw new CriException.InvalidArgument("userns_options " + field + " must map container id 0, got container_id "
          + m.getContainerId());
    }
    if (m.getLength() == 0 || Integer.toUnsignedLong(m.getHostId()) + Integer.toUnsignedLong(m.getLength()) > ID_SPACE) {
      throw new CriException.InvalidArgument("userns_options " + field + " mapping host_id "
          + Integer.toUnsignedString(m.getHostId()) + " length " + Integer.toUnsignedString(m.getLength())
          + " is empty or leaves the 32-bit id space");
    }
  }
}
