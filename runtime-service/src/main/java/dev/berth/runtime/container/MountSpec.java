package dev.berth.runtime.container;

/**
 * A bind mount into the container; propagation is private, rslave or rshared.
 *
 * @param recursiveReadOnly read-only all the way down, sub-mounts included (the runtime's
 *     {@code rro}); only with {@code readonly} and private propagation
 */
public record MountSpec(String containerPath, String hostPath, boolean readonly, String propagation,
    boolean recursiveReadOnly) {

  public MountSpec withHostPath(String path) {
    return new MountSpec(containerPath, path, readonly, propagation, recursiveReadOnly);
  }
}
