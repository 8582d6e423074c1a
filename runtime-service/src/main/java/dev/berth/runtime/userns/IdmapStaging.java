package dev.berth.runtime.userns;

import dev.berth.image.snapshot.LayerPaths;
import dev.berth.linux.MountTable;
import dev.berth.linux.Syscalls;
import dev.berth.runtime.sys.IdmappedMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idmapped mounts of user-namespaced pods, attached under one directory and handed to the
 * OCI runtime as a container's root path and bind sources (runc 1.1 cannot idmap a mount itself;
 * a bind of an idmapped mount keeps its idmap):
 * {@code <dir>/<podId>/<name>/rootfs} for the root of a container or of the infra ({@code name}
 * its id, or "infra"), and {@code <dir>/<podId>/<name>/<n>} for its n-th bind source. overlayfs
 * cannot be idmapped, but takes idmapped lower layers: a container's rootfs is an overlay mounted
 * there over idmapped copies of its layers ({@code l<n>}). Its upper directory cannot be one
 * (overlayfs makes its work files as the mounter, root, whom the idmap cannot map), so it is
 * handed to the pod's root instead: it is new and empty, one chown and no recursive one.
 *
 * <p>runc resolves the root path as the container's root, inside the user namespace, where it
 * has no capability over the host's files: every directory on the way must let it search. So
 * {@code dir} is 0711 (search, no listing) beside the daemon's private state, and everything
 * below it belongs to the pod's root and is 0500: another host user can enter no pod's tree, and
 * each pod's root only its own.
 */
public final class IdmapStaging {

  private static final Logger log = LoggerFactory.getLogger(IdmapStaging.class);
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");
  static final String ROOTFS = "rootfs";

  private final Path dir;

  public IdmapStaging(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path directory() {
    return dir;
  }

  /** Creates the top directory, 0711. */
  public void prepare() throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
  }

  /** The directory of one container's (or the infra's) mounts. */
  public Path of(String podId, String name) {
    return podDir(podId).resolve(safe(name, "container id"));
  }

  private Path podDir(String podId) {
    return dir.resolve(safe(podId, "pod sandbox id"));
  }

  private static String safe(String name, String what) {
    if (name == null || !SAFE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " is not usable as a directory name: " + name);
    }
    return name;
  }

  /**
   * Attaches an idmapped copy of the root filesystem mounted at {@code source} for container (or
   * infra) {@code name} of the pod, owned as the pod's root sees it; returns its path.
   */
  public Path stageRoot(String podId, String name, Path source, Path userns, UserNamespaceMapping pod)
      throws IOException {
    return attachDirectory(podId, name, ROOTFS, source, userns, pod);
  }

  /**
   * The mount point of container {@code name}'s rootfs overlay, and how that overlay reaches its
   * layers and upper directory: through idmapped copies of them attached beside it.
   */
  public Path rootfsMountpoint(String podId, String name, UserNamespaceMapping pod) throws IOException {
    return overlayMountpoint(podId, name, ROOTFS, pod);
  }

  /** The mount point of another overlay of container {@code name}, such as an image volume ({@code v<n>}). */
  public Path overlayMountpoint(String podId, String name, String entry, UserNamespaceMapping pod) throws IOException {
    return Files.createDirectories(ownedDirectories(podId, name, pod).resolve(entry));
  }

  /**
   * The idmapped copies of an overlay's directories, attached in container {@code name}'s tree as
   * {@code <prefix>l<n>} (the rootfs's with no prefix).
   */
  public LayerPaths layerPaths(String podId, String name, String prefix, Path userns, UserNamespaceMapping pod) {
    return new LayerPaths() {
      @Override
      public Path lower(int index, Path layer) throws IOException {
        return attachDirectory(podId, name, prefix + "l" + index, layer, userns, pod);
      }

      @Override
      public Path home(Path home) throws IOException {
        Syscalls.lchown(home.resolve("upper"), (int) pod.rootHostUid(), (int) pod.rootHostGid());
        return home;
      }
    };
  }

  private Path attachDirectory(String podId, String name, String entry, Path source, Path userns,
      UserNamespaceMapping pod) throws IOException {
    Path target = Files.createDirectories(ownedDirectories(podId, name, pod).resolve(entry));
    IdmappedMount.attach(source, userns, target);
    return target;
  }

  /**
   * Attaches an idmapped copy of {@code source} (a file or a directory, with what is mounted
   * below it) as bind source number {@code index} of container {@code name}; returns its path.
   */
  public Path stageBind(String podId, String name, int index, Path source, Path userns, UserNamespaceMapping pod)
      throws IOException {
    Path target = ownedDirectories(podId, name, pod).resolve(Integer.toString(index));
    if (Files.isDirectory(source)) {
      Files.createDirectories(target);
    } else if (!Files.exists(target)) {
      Files.createFile(target);
    }
    IdmappedMount.attach(source, userns, target);
    return target;
  }

  private Path ownedDirectories(String podId, String name, UserNamespaceMapping pod) throws IOException {
    Path podDir = podDir(podId);
    Path own = of(podId, name);
    for (Path level : List.of(podDir, own)) {
      if (!Files.isDirectory(level)) {
        Files.createDirectories(level);
        Syscalls.lchown(level, (int) pod.rootHostUid(), (int) pod.rootHostGid());
        Files.setPosixFilePermissions(level, PosixFilePermissions.fromString("r-x------"));
      }
    }
    return own;
  }

  /** Detaches every mount of container (or infra) {@code name} and deletes its directory; idempotent. */
  public void release(String podId, String name) throws IOException {
    releaseTree(of(podId, name));
  }

  /** Detaches every mount of the pod and deletes its directory; idempotent. */
  public void releasePod(String podId) throws IOException {
    releaseTree(podDir(podId));
  }

  /**
   * At start-up: releases the trees of pods that no longer exist and, in pods that do, of
   * containers that no longer exist (a create cut short by a kill, a removal the daemon did not
   * finish). {@code livePods} and {@code liveNames} are ids; the infra's tree is kept with its pod.
   */
  public void sweep(Set<String> livePods, Set<String> liveNames) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> pods = Files.list(dir)) {
      for (Path pod : pods.toList()) {
        if (!livePods.contains(pod.getFileName().toString())) {
          log.info("releasing the idmapped mounts of pod {}, which no longer exists", pod.getFileName());
          releaseTree(pod);
          continue;
        }
        try (Stream<Path> names = Files.list(pod)) {
          for (Path name : names.toList()) {
            String n = name.getFileName().toString();
            if (!n.equals("infra") && !liveNames.contains(n)) {
              log.info("releasing the idmapped mounts of container {}, which no longer exists", n);
              releaseTree(name);
            }
          }
        }
      }
    }
  }

  private static void releaseTree(Path tree) throws IOException {
    if (!Files.exists(tree)) {
      return;
    }
    List<Path> mounted = MountTable.mountPoints().stream()
        .filter(point -> point.startsWith(tree))
        .distinct()
        .sorted(Comparator.comparingInt(Path::getNameCount).reversed())
        .toList();
    for (Path point : mounted) {
      // A point can carry stacked mounts; peel them all.
      for (int i = 0; i < 8 && Syscalls.umount2(point, Syscalls.MNT_DETACH); i++) {
        log.debug("detached {}", point);
      }
    }
    // Never delete through a mount that is still there: that would delete the container's files.
    if (MountTable.mountPoints().stream().anyMatch(point -> point.startsWith(tree))) {
      throw new IOException("mounts remain under " + tree + " after detaching them");
    }
    try (Stream<Path> walk = Files.walk(tree)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
