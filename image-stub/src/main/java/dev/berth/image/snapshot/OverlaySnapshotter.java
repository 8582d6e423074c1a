package dev.berth.image.snapshot;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.image.store.AtomicFiles;
import dev.berth.image.store.Digest;
import dev.berth.image.store.RecordFormat;
import dev.berth.linux.MountTable;
import dev.berth.linux.Syscalls;
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
  private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  /** The kernel takes at most one page of mount options. */
  private static final int MAX_MOUNT_DATA = 4095;
  /**
   * A removed container's directory is renamed to this prefix and its id before it is deleted;
   * container ids never start with a dot, so the name cannot be taken for a container's.
   */
  private static final String REMOVING = ".removing-";

  /**
   * What a container's rootfs, or an image volume, is made of; persisted so that it outlives the
   * daemon.
   *
   * @param imageVolume a read-only mount of the image as a volume (KEP-4639): it holds the image
   *     itself, not only its layers, in use
   */
  public record SnapshotRecord(String imageId, List<Digest> layers, boolean imageVolume) {}

  private final Path dir;
  private final LayerStore layers;
  private final Object[] homeLocks = new Object[64];

  public OverlaySnapshotter(Path dir, LayerStore layers) throws IOException {
    this.dir = PrivateDirectory.create(dir);
    this.layers = layers;
    for (int i = 0; i < homeLocks.length; i++) {
      homeLocks[i] = new Object();
    }
    deleteInterruptedRemovals();
  }

  /**
   * Mounts the rootfs; does nothing when the mount point already carries a mount (a second
   * CreateContainer attempt, or a daemon restart). Layers are bottom first.
   */
  public void mount(String containerId, String imageId, List<Digest> diffIds, Path mountpoint)
      throws IOException {
    mount(containerId, imageId, diffIds, mountpoint, UpperDirSeed.NONE);
  }

  /** As {@link #mount(String, String, List, Path)}, with {@code seed} filling a new upper dir first. */
  public void mount(String containerId, String imageId, List<Digest> diffIds, Path mountpoint,
      UpperDirSeed seed) throws IOException {
    mount(containerId, imageId, diffIds, mountpoint, seed, LayerPaths.AS_THEY_ARE);
  }

  /**
   * As {@link #mount(String, String, List, Path, UpperDirSeed)}, the overlay reaching its
   * directories through {@code paths} (asked once the container's directories exist).
   */
  public void mount(String containerId, String imageId, List<Digest> diffIds, Path mountpoint,
      UpperDirSeed seed, LayerPaths paths) throws IOException {
    Path home = containerDir(containerId);
    synchronized (lockFor(containerId)) {
      mountLocked(containerId, imageId, diffIds, mountpoint, seed, paths, home);
    }
  }

  private void mountLocked(String containerId, String imageId, List<Digest> diffIds, Path mountpoint,
      UpperDirSeed seed, LayerPaths paths, Path home) throws IOException {
    Files.createDirectories(mountpoint);
    if (MountTable.isMountPoint(mountpoint)) {
      log.debug("rootfs of {} already mounted at {}", containerId, mountpoint);
      return;
    }
    Path upper = home.resolve("upper");
    Path work = home.resolve("work");
    List<String> lower = lowerDirs(diffIds);
    if (lower.isEmpty()) {
      // overlayfs needs a lower directory; an image without layers gets an empty one.
      lower.add(home.resolve("empty").toString());
    }
    // Checked before anything is written, so that an image that cannot be mounted leaves nothing.
    String data = checkedData("lowerdir=" + String.join(":", lower) + ",upperdir=" + upper + ",workdir=" + work,
        imageId, diffIds);
    // A home made by this call goes again when the mount fails: its record would otherwise pin
    // the layers for good, since no container exists to be removed. A home that was there
    // (a re-mount after a reboot) holds the container's writes and stays.
    boolean fresh = !Files.exists(home, LinkOption.NOFOLLOW_LINKS);
    try {
      // The home and the work dir are the store's; the upper dir is the top of the container's "/"
      // and keeps the mode a container expects there.
      PrivateDirectory.create(home);
      boolean newUpper = !Files.isDirectory(upper);
      Files.createDirectories(upper);
      if (newUpper) {
        seed.fill(upper);
      }
      PrivateDirectory.create(work);
      if (diffIds.isEmpty()) {
        Files.createDirectories(home.resolve("empty"));
      }
      AtomicFiles.write(home.resolve("snapshot.json"),
          RecordFormat.write(new SnapshotRecord(imageId, diffIds, false)));
      if (paths != LayerPaths.AS_THEY_ARE) {
        data = checkedData(viewedData(home, diffIds, paths), imageId, diffIds);
      }
      Syscalls.mount("overlay", mountpoint, "overlay", 0, data);
    } catch (IOException | RuntimeException e) {
      if (fresh) {
        discardFreshHome(containerId, home, e);
      }
      throw e;
    }
    log.debug("mounted rootfs of {} at {} ({} layers)", containerId, mountpoint, diffIds.size());
  }

  /**
   * Mounts an image read-only at mountpoint, as an image volume: overlayfs of its layers with no
   * upper directory, which the kernel mounts read-only. {@code volumeId} names it like a
   * container id; {@link #release} takes it away. Idempotent like {@link #mount}.
   */
  public void mountImageVolume(String volumeId, String imageId, List<Digest> diffIds, Path mountpoint)
      throws IOException {
    mountImageVolume(volumeId, imageId, diffIds, mountpoint, LayerPaths.AS_THEY_ARE);
  }

  /** As {@link #mountImageVolume(String, String, List, Path)}, the layers reached through {@code paths}. */
  public void mountImageVolume(String volumeId, String imageId, List<Digest> diffIds, Path mountpoint,
      LayerPaths paths) throws IOException {
    Path home = containerDir(volumeId);
    synchronized (lockFor(volumeId)) {
      mountImageVolumeLocked(volumeId, imageId, diffIds, mountpoint, paths, home);
    }
  }

  private void mountImageVolumeLocked(String volumeId, String imageId, List<Digest> diffIds, Path mountpoint,
      LayerPaths paths, Path home) throws IOException {
    Files.createDirectories(mountpoint);
    if (MountTable.isMountPoint(mountpoint)) {
      return;
    }
    Files.createDirectories(home);
    AtomicFiles.write(home.resolve("snapshot.json"), RecordFormat.write(new SnapshotRecord(imageId, diffIds, true)));
    List<String> lower = lowerDirs(diffIds);
    if (paths != LayerPaths.AS_THEY_ARE) {
      lower.clear();
      for (int i = diffIds.size() - 1; i >= 0; i--) {
        lower.add(paths.lower(i, layers.path(diffIds.get(i))).toString());
      }
    }
    // Without an upper directory overlayfs wants two lower ones: an empty one goes at the bottom.
    lower.add(Files.createDirectories(home.resolve("empty")).toString());
    String data = "lowerdir=" + String.join(":", lower);
    Syscalls.mount("overlay", mountpoint, "overlay", Syscalls.MS_RDONLY, checkedData(data, imageId, diffIds));
    log.debug("mounted image {} as volume {} at {}", imageId, volumeId, mountpoint);
  }

  /** The overlay's options with every directory seen through {@code paths}. */
  private String viewedData(Path home, List<Digest> diffIds, LayerPaths paths) throws IOException {
    Path viewedHome = paths.home(home);
    List<String> lower = new ArrayList<>();
    for (int i = diffIds.size() - 1; i >= 0; i--) {
      lower.add(paths.lower(i, layers.path(diffIds.get(i))).toString());
    }
    if (lower.isEmpty()) {
      lower.add(viewedHome.resolve("empty").toString());
    }
    return "lowerdir=" + String.join(":", lower) + ",upperdir=" + viewedHome.resolve("upper") + ",workdir="
        + viewedHome.resolve("work");
  }

  /** Top layer first, as overlayfs lists them; every one must be unpacked. */
  private List<String> lowerDirs(List<Digest> diffIds) throws IOException {
    List<String> lower = new ArrayList<>();
    for (int i = diffIds.size() - 1; i >= 0; i--) {
      if (!layers.isUnpacked(diffIds.get(i))) {
        throw new IOException("layer " + diffIds.get(i) + " is not unpacked");
      }
      lower.add(layers.path(diffIds.get(i)).toString());
    }
    return lower;
  }

  private String checkedData(String data, String imageId, List<Digest> diffIds) throws IOException {
    if (data.length() > MAX_MOUNT_DATA) {
      throw new IOException("image " + imageId + " has too many layers (" + diffIds.size()
          + ") for one overlay mount under " + dir);
    }
    return data;
  }

  /** The images mounted as image volumes, each with the ids of its volumes. */
  public synchronized java.util.Map<String, List<String>> imageVolumes() throws IOException {
    java.util.Map<String, List<String>> volumes = new java.util.TreeMap<>();
    try (Stream<Path> homes = Files.list(dir)) {
      for (Path home : (Iterable<Path>) homes::iterator) {
        java.util.Optional<SnapshotRecord> snapshot = record(home);
        if (snapshot.isPresent() && snapshot.get().imageVolume()) {
          volumes.computeIfAbsent(snapshot.get().imageId(), id -> new ArrayList<>()).add(home.getFileName().toString());
        }
      }
    }
    return volumes;
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
    synchronized (lockFor(containerId)) {
      doomed = detach(containerId, mountpoint, home);
    }
    if (doomed != null) {
      FileTrees.deleteRecursively(doomed);
    }
  }

  /** Unmounts and renames the home away; null when there is none. Listings see the record go first. */
  private synchronized Path detach(String containerId, Path mountpoint, Path home) throws IOException {
    if (mountpoint != null) {
      int guard = 0;
      while (MountTable.isMountPoint(mountpoint) && guard++ < 16) {
        // Detach: a process still holding a file in the rootfs must not keep the container from
        // being removed; the kernel frees the mount when the last reference goes.
        Syscalls.umount2(mountpoint, Syscalls.MNT_DETACH);
      }
    }
    if (!Files.exists(home, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    // The record goes first: the layers are no longer used, and a collection listing the
    // containers must not find a record that is being deleted.
    Files.deleteIfExists(home.resolve("snapshot.json"));
    Path doomed = dir.resolve(REMOVING + containerId + "-" + System.nanoTime());
    Files.move(home, doomed, StandardCopyOption.ATOMIC_MOVE);
    return doomed;
  }

  /**
   * The lock of one container's (or image volume's) home: its mount and its release exclude each
   * other, while other containers' mounts go on in parallel, each with its own record sync and
   * mount call (behind one lock for all, 8 parallel CreateContainers waited about ten times as
   * long as one). Records are written by rename, so listings never see half of one.
   */
  private Object lockFor(String id) {
    return homeLocks[Math.floorMod(id.hashCode(), homeLocks.length)];
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
        record(home).ifPresent(snapshot -> used.addAll(snapshot.layers()));
      }
    }
    return used;
  }

  /**
   * The home's record; empty when it has none, or when it went while this looked: a mount that
   * failed removes the home it made, under its container's lock only.
   */
  private static java.util.Optional<SnapshotRecord> record(Path home) throws IOException {
    Path record = home.resolve("snapshot.json");
    if (!Files.isRegularFile(record)) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(RecordFormat.read(record, Files.readAllBytes(record), SnapshotRecord.class));
    } catch (java.nio.file.NoSuchFileException e) {
      return java.util.Optional.empty();
    }
  }

  private Path containerDir(String containerId) {
    if (containerId == null || !CONTAINER_ID.matcher(containerId).matches()) {
      throw new IllegalArgumentException("invalid container id \"" + containerId + "\"");
    }
    return dir.resolve(containerId);
  }
}
