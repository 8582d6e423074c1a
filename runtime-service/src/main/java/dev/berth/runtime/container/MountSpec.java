package dev.berth.runtime.container;

import dev.berth.runtime.userns.UserNamespaceMapping;

/**
 * A bind mount into the container; propagation is private, rslave or rshared.
 *
 * @param recursiveReadOnly read-only all the way down, sub-mounts included (the runtime's
 *     {@code rro}); only with {@code readonly} and private propagation
 * @param image an image volume: the image reference to mount read-only, {@code ""} for a host
 *     path; {@code hostPath} is then the prepared mount once the volume is mounted
 * @param imageSubPath the directory of the image to mount, relative to its root; {@code ""} for all
 * @param idmap the mount's own uid/gid mappings ({@code uidMappings}, {@code gidMappings}) for a
 *     pod with a user namespace of its own, or null: such a pod's mounts are idmapped with the
 *     pod's mapping then
 */
public record MountSpec(String containerPath, String hostPath, boolean readonly, String propagation,
    boolean recursiveReadOnly, String image, String imageSubPath, UserNamespaceMapping idmap) {

  public MountSpec {
    // Records written before image volumes existed have neither.
    image = image == null ? "" : image;
    imageSubPath = imageSubPath == null ? "" : imageSubPath;
  }

  /** Not named isImageVolume: a record accessor Jackson would write into every container record. */
  public boolean fromImage() {
    return !image.isEmpty();
  }

  public MountSpec withHostPath(String path) {
    return new MountSpec(containerPath, path, readonly, propagation, recursiveReadOnly, image, imageSubPath, idmap);
  }
}
