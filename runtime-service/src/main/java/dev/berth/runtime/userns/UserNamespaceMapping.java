package dev.berth.runtime.userns;

/**
 * The uid and gid maps of a pod's user namespace (KEP-127 mode POD), or of an idmapped mount:
 * one range each, as the kubelet sends them.
 */
public record UserNamespaceMapping(IdMapping uids, IdMapping gids) {

  /** The host uid of the namespace's root: the owner of what only the pod's root may enter. */
  public long rootHostUid() {
    return uids.toHost(0);
  }

  public long rootHostGid() {
    return gids.toHost(0);
  }
}
