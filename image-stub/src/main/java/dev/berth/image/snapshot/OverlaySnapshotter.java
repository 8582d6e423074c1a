package dev.berth.image.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.image.store.AtomicFiles;
import dev.berth.image.store.Digest;
import dev.berth.image.sys.Syscalls;
import dev.berth.image.unpack.FileTrees;
import dev.berth.image.unpack.LayerStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's rootfs as an overlayfs mount: the image's unpacked layers, read-only, under an
 * upper and work directory of its own in {@code containers/<id>/}. The container's record
 * ({@code snapshot.json}: image and layers) is written before the mount, so the garbage
 * collector keeps those layers for as long as the container exists, even after its image is
 * removed, and a mount can be made again after a reboot with the same upper directory.
 */
public final class OverlaySnapshotter {

  private static final Logger log = LoggerFactory.getLogger(OverlaySnapshotter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  /** The kernel takes at most one page of mount options. */
  private static final int MAX_MOUNT_DATA = 4095;
  /**
   * A removed container's directory is renamed to this prefix and its id before it is deleted;
   * container ids never start with a dot, so the name cannot be taken for a container's.
   */
  private static final String REMOVING = ".removing-";

  /** What a container's rootfs is made of; persisted so that it outlives the daemon. */
  public record SnapshotRecord(String imageId, List<Digest> layers) {}

  private final Path dir;
  private final LayerStore layers;

  public OverlaySnapshotter(Path dir, LayerStore layers) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.layers = layers;
    deleteInterruptedRemovals();
  }

  /**
   * Mounts the rootfs; does nothing when the mount point already carries a mount (a second
   * CreateContainer attempt, or a daemon restart). Layers are bottom first.
   */
  public synchronized void mount(String containerId, String imageId, List<Digest> diffIds, Path mountpoint)
      throws IOException {
    Path home = containerDir(containerId);
    Files.createDirectories(mountpoint);
    if (MountTable.isMountPoint(mountpoint)) {
      log.debug("rootfs of {} already mounted at {}", containerId, mountpoint);
      return;
    }
    for (Digest layer : diffIds) {
      if (!layers.isUnpacked(layer)) {
        throw new IOException("layer " + layer + " of image " + imageId + " is not unpacked");
      }
    }
    Path upper = home.resolve("upper");
    Path work = home.resolve("work");
    List<String> lower = new ArrayList<>();
    for (int i = diffIds.size() - 1; i >= 0; i--) {
      lower.add(layers.path(diffIds.get(i)).toString());
    }
    if (lower.isEmpty()) {
      // overlayfs needs a lower directory; an image without layers gets an empty one.
      lower.add(home.resolve("empty").toString());
    }
    String data = "lowerdir=" + String.join(":", lower) + ",upperdir=" + upper + ",workdir=" + work;
    if (data.length() > MAX_MOUNT_DATA) {
      throw new IOException("image " + imageId + " has too many layers (" + diffIds.size()
          + ") for one overlay mount under " + dir);
    }
    // A home made by this call goes again when the mount fails: its record would otherwise pin
    // the layers for good, since no container exists to be removed. A home that was there
    // (a re-mount after a reboot) holds the container's writes and stays.
    boolean fresh = !Files.exists(home, LinkOption.NOFOLLOW_LINKS);
    try {
      Files.createDirectories(upper);
      Files.createDirectories(work);
      if (diffIds.isEmpty()) {
        Files.createDirectories(home.resolve("empty"));
      }
      AtomicFiles.write(home.resolve("snapshot.json"), JSON.writeValueAsBytes(new SnapshotRecord(imageId, diffIds)));
      Syscalls.mount("overlay", mountpoint, "overlay", 0, data);
    } catch (IOException | RuntimeException e) {
      if (fresh) {
        discardFreshHome(containerId, home, e);
      }
      throw e;
    }
    log.debug("mounted rootfs of {} at {} ({} layers)", containerId, mountpoint, diffIds.size());
  }

  private void discardFreshHome(String containerId, Path home, Exception cause) {
    try {
      Files.deleteIfExists(home.resolve("snapshot.json"));
      FileTrees.deleteRecursively(home);
    } catch (IOException e) {
      cause.addSuppressed(e);
      log.warn("cannot delete {} after the rootfs mount of {} failed: {}", home, containerId, e.getMessage());
    }
  }

  /**
   * Unmounts (every stacked mount) and deletes the container's upper and work dirs; idempotent.
   * Only the unmount and a rename are done under the lock: a big writable layer takes seconds to
   * delete, and the mounts and removals of every other container must not wait for it.
   */
  public void release(String containerId, Path mountpoint) throws IOException {
    Path home = containerDir(containerId);
    Path doomed;
    synchronized (this) {
      if (mountpoint != null) {
        int guard = 0;
        while (MountTable.isMountPoint(mountpoint) && guard++ < 16) {
          // Detach: a process still holding a file in the rootfs must not keep the container from
          // being removed; the kernel frees the mount when the last reference goes.
          Syscalls.umount2(mountpoint, Syscalls.MNT_DETACH);
        }
      }
      if (!Files.exists(home, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      // The record goes first: the layers are no longer used, and a collection listing the
      // containers must not find a record that is being deleted.
      Files.deleteIfExists(home.resolve("snapshot.json"));
      doomed = dir.resolve(REMOVING + containerId + "-" + System.nanoTime());
      Files.move(home, doomed, StandardCopyOption.ATOMIC_MOVE);
    }
    FileTrees.deleteRecursively(doomed);
  }

  /** Deletes what removals interrupted by a crash left behind; at start-up, before any mount. */
  private void deleteInterruptedRemovals() throws IOException {
    try (Stream<Path> homes = Files.list(dir)) {
      for (Path home : homes.filter(h -> h.getFileName().toString().startsWith(REMOVING)).toList()) {
        log.info("deleting {}, left by a removal that did not finish", home);
        FileTrees.deleteRecursively(home);
      }
    }
  }

  /** Layers that some container's rootfs is made of; never to be deleted while it exists. */
  public synchronized Set<Digest> layersInUse() throws IOException {
    Set<Digest> used = new HashSet<>();
    try (Stream<Path> homes = Files.list(dir)) {
      for (Path home : (Iterable<Path>) homes::iterator) {
        Path record = home.resolve("snapshot.json");
        if (Files.isRegularFile(record)) {
          used.addAll(JSON.readValue(record.toFile(), SnapshotRecord.class).layers());
        }
      }
    }
    return used;
  }

  private Path containerDir(String containerId) {
    if (containerId == null || !CONTAINER_ID.matcher(containerId).matches()) {
      throw new IllegalArgumentException("invalid container id \"" + containerId + "\"");
    }
    return dir.resolve(containerId);
  }
}
