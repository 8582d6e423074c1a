package dev.berth.runtime.container;

import dev.berth.runtime.model.Release;
import dev.berth.runtime.model.ReleaseStep;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one release of what a container holds on the node, used by a failed CreateContainer's
 * undo (a restore's too), RemoveContainer, the undo of a container half made when the daemon
 * died, and the clean-up behind a quarantined record. The steps, in this order, each harmless
 * when what it releases is already gone or was never made:
 *
 * <ol>
 *   <li>the runtime container (runc delete --force, which kills what still runs) and its conmon's files;
 *   <li>its idmapped mounts, when its pod is known (a pod with its own user namespace: the rootfs
 *       and image volume overlays there, over idmapped layers, and its idmapped bind sources);
 *   <li>its image volumes;
 *   <li>its rootfs: the overlay unmounted before its directory goes, as deleting through the
 *       mount would reach the image's layers;
 *   <li>its cgroup, when the pod's is known: runc delete removes it, but a create cut short
 *       between runc making it and the runtime knowing the container leaves it;
 *   <li>its directory with its record, last and only once everything else is gone.
 * </ol>
 *
 * Stopping the container first (its stop signal, the grace period, recording the exit) is the
 * manager's; this is what follows.
 */
public final class ContainerRelease {

  /** What a container holds on the node, each removal succeeding when there is nothing left to remove. */
  public interface Node {
    void deleteRuntimeContainer(String containerId) throws Exception;

    /** Detaches what was staged for the container in its pod's idmap tree; nothing for a pod without one. */
    void releaseIdmappedMounts(String podId, String containerId) throws Exception;

    void releaseImageVolumes(String containerId, Path containerDir) throws Exception;

    void releaseRootfs(String containerId, Path rootfs) throws Exception;

    void removeCgroup(String cgroupPath) throws Exception;

    void deleteDirectory(String containerId) throws Exception;
  }

  /**
   * The container to release.
   *
   * @param dir its directory (in quarantine, for a quarantined record)
   * @param cgroupPath its cgroup, empty when its pod is not known
   * @param podId its pod, empty when not known (a quarantined record: the start-up sweep of the
   *     idmap tree finds what it staged)
   */
  public record Target(String id, Path dir, Optional<String> cgroupPath, Optional<String> podId) {

    /** A container whose pod is not known. */
    public Target(String id, Path dir, Optional<String> cgroupPath) {
      this(id, dir, cgroupPath, Optional.empty());
    }

    Path rootfs() {
      return dir.resolve("bundle").resolve("rootfs");
    }
  }

  private final Node node;

  public ContainerRelease(Node node) {
    this.node = node;
  }

  /** RemoveContainer, an undo at start-up: nothing of the container is left, its directory last. */
  public Release onRemove(Target container) {
    List<ReleaseStep> steps = new ArrayList<>();
    steps.add(runtimeContainer(container));
    idmappedMounts(container).ifPresent(steps::add);
    steps.add(imageVolumes(container));
    steps.add(rootfs(container));
    cgroup(container).ifPresent(steps::add);
    return new Release(steps, Optional.of(directory(container)));
  }

  public ReleaseStep runtimeContainer(Target container) {
    return new ReleaseStep("delete the runtime container and its shim",
        () -> node.deleteRuntimeContainer(container.id()));
  }

  public Optional<ReleaseStep> idmappedMounts(Target container) {
    return container.podId().map(pod -> new ReleaseStep("detach the idmapped mounts",
        () -> node.releaseIdmappedMounts(pod, container.id())));
  }

  public ReleaseStep imageVolumes(Target container) {
    return new ReleaseStep("release the image volumes", () -> node.releaseImageVolumes(container.id(), container.dir()));
  }

  public ReleaseStep rootfs(Target container) {
    return new ReleaseStep("release the rootfs", () -> node.releaseRootfs(container.id(), container.rootfs()));
  }

  public Optional<ReleaseStep> cgroup(Target container) {
    return container.cgroupPath().map(path -> new ReleaseStep("remove the cgroup " + path,
        () -> node.removeCgroup(path)));
  }

  public ReleaseStep directory(Target container) {
    return new ReleaseStep("delete the container's directory", () -> node.deleteDirectory(container.id()));
  }
}
