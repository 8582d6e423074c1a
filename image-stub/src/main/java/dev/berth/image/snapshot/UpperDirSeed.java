package dev.berth.image.snapshot;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Fills a new container's overlay upper dir before the overlay is mounted, such as with the
 * rootfs changes of a restored checkpoint. It must run before the mount: overlayfs does not
 * promise to see changes made to its upper dir while it is mounted.
 */
@FunctionalInterface
public interface UpperDirSeed {

  UpperDirSeed NONE = upperDir -> {};

  void fill(Path upperDir) throws IOException;
}
