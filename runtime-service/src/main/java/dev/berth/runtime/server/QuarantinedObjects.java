package dev.berth.runtime.server;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerRelease;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.Release;
import dev.berth.runtime.sandbox.PodRelease;
import dev.berth.runtime.sandbox.SandboxManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes down what still lives behind a record that could not be read at start-up (and was moved
 * to quarantine). Without its record nobody can reach the object through CRI: the kubelet cannot
 * see it, stop it or remove it, so its shim, processes, rootfs mount, network namespace, CNI
 * attachment, shm mount and cgroup would leak for good. They are released as a removal would
 * ({@link ContainerRelease}, {@link PodRelease}) but by id alone, and the record files stay in
 * quarantine for the operator (the release's last step, deleting the directory, is left out).
 * Containers whose pod's record was lost are stopped (their records stay, so the kubelet sees
 * them exited and removes them).
 *
 * <p>An object is marked once it is fully cleaned, so later restarts leave it alone; a step that
 * fails is logged and tried again at the next start.
 */
final class QuarantinedObjects {

  private static final Logger log = LoggerFactory.getLogger(QuarantinedObjects.class);
  private static final String CLEANED = "berth-cleaned";

  /** What a sandbox's leftovers are found and released with. */
  record SandboxParts(Path quarantine, PodRelease release, String defaultCgroupParent, SandboxManager sandboxes,
      ContainerManager containers) {}

  /** What a container's leftovers are released with. */
  record ContainerParts(Path quarantine, ContainerRelease release) {}

  private QuarantinedObjects() {}

  static void cleanUp(SandboxParts sandboxParts, ContainerParts containerParts) throws IOException {
    for (String id : uncleaned(containerParts.quarantine())) {
      Path dir = containerParts.quarantine().resolve(id);
      // Its pod, and so its cgroup, is not known without the record.
      Release release = containerParts.release().onRemove(new ContainerRelease.Target(id, dir, Optional.empty()));
      finish("container", id, dir, Release.of(release.steps()).run());
    }
    // Before the pods: a pod's cgroup can only go once its containers' processes have.
    stopContainersWithoutPod(sandboxParts);
    for (String id : uncleaned(sandboxParts.quarantine())) {
      Path dir = sandboxParts.quarantine().resolve(id);
      Release release = sandboxParts.release().onRemove(
          PodRelease.Target.ofNote(id, Optional.empty(), sandboxParts.defaultCgroupParent()));
      finish("pod sandbox", id, dir, Release.of(release.steps()).run());
    }
  }

  /** A container cannot run on without its pod: the pod's namespaces and network are gone. */
  private static void stopContainersWithoutPod(SandboxParts parts) {
    for (Container container : parts.containers().list()) {
      if (container.isLive() && parts.sandboxes().find(container.sandboxId()).isEmpty()) {
        log.warn("container {} belongs to pod sandbox {}, whose record is lost; stopping it", container.id(),
            container.sandboxId());
        try {
          parts.containers().stop(container.id(), Duration.ZERO);
        } catch (RuntimeException e) {
          log.error("container {}: could not stop it: {}", container.id(), e.getMessage());
        }
      }
    }
  }

  private static List<String> uncleaned(Path quarantine) throws IOException {
    if (!Files.isDirectory(quarantine)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(quarantine)) {
      return entries.filter(dir -> Ids.isFullId(dir.getFileName().toString()))
          .filter(dir -> !Files.exists(dir.resolve(CLEANED)))
          .map(dir -> dir.getFileName().toString()).sorted().toList();
    }
  }

  private static void finish(String kind, String id, Path dir, List<String> failures) throws IOException {
    if (failures.isEmpty()) {
      Files.writeString(dir.resolve(CLEANED), "");
      log.warn("{} {}: its record was unreadable; what still ran or was mounted for it "
          + "was taken down (the record is kept in {})", kind, id, dir);
    } else {
      log.error("{} {}: its record was unreadable and cleaning up after it failed (tried again at the next "
          + "start): {}", kind, id, String.join("; ", failures));
    }
  }
}
