package dev.berth.image.snapshot;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the overlay of a container's rootfs finds its layers and its upper and work directories:
 * where they are, or through other mounts of them. A container in a user namespace of its own
 * needs idmapped mounts of its layers: overlayfs cannot be idmapped itself, but it takes idmapped
 * lower layers (Linux 5.19) and shows their files with the ids the idmap gives them.
 */
public interface LayerPaths {

  /** The directories themselves. */
  LayerPaths AS_THEY_ARE = new LayerPaths() {
    @Override
    public Path lower(int index, Path layer) {
      return layer;
    }

    @Override
    public Path home(Path home) {
      return home;
    }
  };

  /** The path to use for unpacked layer {@code layer}, number {@code index} from the bottom. */
  Path lower(int index, Path layer) throws IOException;

  /**
   * The path to use for the container's own directory, which holds its upper and work directories
   * (overlayfs wants both on one mount); called once both exist, and may prepare them.
   */
  Path home(Path home) throws IOException;
}
