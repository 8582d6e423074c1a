package dev.berth.runtime.container;

import dev.berth.image.ImageNotFoundException;
import dev.berth.image.ImageStore;
import dev.berth.image.snapshot.LayerPaths;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.Undo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Image volumes (CRI Mount.image, KEP-4639): each is the image mounted read-only under the
 * container's directory ({@code image-volumes/N}, held in the image store as volume
 * {@code <container id>-vN}) and then bind-mounted into the container like a host path, the
 * whole image or one of its sub-directories.
 */
public final class ImageVolumes {

  private static final String DIR = "image-volumes";

  private final ImageStore images;

  /**
   * Where image volume {@code index} is mounted ({@code usual}: the container's own directory)
   * and how its overlay reaches the image's layers: elsewhere for a pod with its own user
   * namespace, over idmapped layers in its idmap tree. {@code usual} exists either way, so that
   * {@link #release} finds every volume.
   */
  interface Placement {
    Placement USUAL = (index, usual) -> new Place(usual, LayerPaths.AS_THEY_ARE);

    Place of(int index, Path usual) throws IOException;
  }

  record Place(Path mountpoint, LayerPaths layers) {}

  public ImageVolumes(ImageStore images) {
    this.images = images;
  }

  /**
   * Mounts every image volume of {@code mounts} and returns the mounts with each image volume
   * turned into a read-only bind of its prepared directory; pushes the releases onto undo.
   */
  List<MountSpec> prepare(String containerId, Path containerDir, List<MountSpec> mounts, Undo undo)
      throws IOException {
    return prepare(containerId, containerDir, mounts, undo, Placement.USUAL);
  }

  List<MountSpec> prepare(String containerId, Path containerDir, List<MountSpec> mounts, Undo undo,
      Placement placement) throws IOException {
    List<MountSpec> prepared = new ArrayList<>();
    for (int i = 0; i < mounts.size(); i++) {
      MountSpec mount = mounts.get(i);
      if (!mount.fromImage()) {
        prepared.add(mount);
        continue;
      }
      String volumeId = containerId + "-v" + i;
      Path usual = containerDir.resolve(DIR).resolve(Integer.toString(i));
      undo.push("release image volume " + mount.containerPath(), () -> images.releaseImageVolume(volumeId, usual));
      Files.createDirectories(usual);
      Place place = placement.of(i, usual);
      Path mountpoint = place.mountpoint();
      try {
        images.mountImageVolume(volumeId, mount.image(), mountpoint, place.layers());
      } catch (ImageNotFoundException e) {
        throw new CriException.NotFound("image volume " + mount.containerPath() + ": image \"" + mount.image()
            + "\" not found; pull it first");
      }
      prepared.add(new MountSpec(mount.containerPath(), source(mount, mountpoint).toString(), true, "rprivate",
          mount.recursiveReadOnly(), mount.image(), mount.imageSubPath(), mount.idmap()));
    }
    return prepared;
  }

  /**
   * The directory to bind: the image's root, or its sub-path, which must be a relative path
   * that stays inside the image once its symlinks are followed (they are followed here, on the
   * host, so one pointing out of the image would reach the host's files).
   */
  static Path source(MountSpec mount, Path imageRoot) throws IOException {
    String subPath = mount.imageSubPath();
    if (subPath.isEmpty()) {
      return imageRoot;
    }
    Path relative = Path.of(subPath);
    if (relative.isAbsolute() || relative.normalize().startsWith("..")) {
      throw new CriException.InvalidArgument("image volume " + mount.containerPath() + ": image_sub_path \""
          + subPath + "\" must be a relative path inside the image");
    }
    Path root = imageRoot.toRealPath();
    Path candidate = root.resolve(relative).normalize();
    if (!Files.exists(candidate)) {
      throw new CriException.InvalidArgument("image volume " + mount.containerPath() + ": image_sub_path \""
          + subPath + "\" does not exist in image " + mount.image());
    }
    Path real = candidate.toRealPath();
    if (!real.startsWith(root)) {
      throw new CriException.InvalidArgument("image volume " + mount.containerPath() + ": image_sub_path \""
          + subPath + "\" leaves the image (it resolves outside it)");
    }
    return real;
  }

  /** Unmounts every image volume of a container; for removal and for undoing a half-made one. Idempotent. */
  public void release(String containerId, Path containerDir) throws IOException {
    Path dir = containerDir.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> volumes = Files.list(dir)) {
      for (Path mountpoint : volumes.toList()) {
        images.releaseImageVolume(containerId + "-v" + mountpoint.getFileName(), mountpoint);
      }
    }
  }
}
