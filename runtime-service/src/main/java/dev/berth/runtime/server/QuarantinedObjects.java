package dev.berth.runtime.server;

import dev.berth.image.ImageStore;
import dev.berth.runtime.container.ImageVolumes;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cni.CniAttachment;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.pod.PodFiles;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.shim.ConmonShim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes down what still lives behind a record that could not be read at start-up (and was moved
 * to quarantine). Without its record nobody can reach the object through CRI: the kubelet cannot
 * see it, stop it or remove it, so its shim, processes, rootfs mount, network namespace, CNI
 * attachment, shm mount and cgroup would leak for good. Everything is found by id alone; the
 * record files stay in quarantine for the operator. Containers whose pod's record was lost are
 * stopped (their records stay, so the kubelet sees them exited and removes them).
 *
 * <p>An object is marked once it is fully cleaned, so later restarts leave it alone; a step that
 * fails is logged and tried again at the next start.
 */
final class QuarantinedObjects {

  private static final Logger log = LoggerFactory.getLogger(QuarantinedObjects.class);
  private static final String CLEANED = "berth-cleaned";

  /** What a sandbox's leftovers are found with. */
  record SandboxParts(Path quarantine, ConmonShim shim, CniNetwork network, NetworkNamespaces namespaces,
      Path podsDir, CgroupModel cgroups, String defaultCgroupParent, SandboxManager sandboxes,
      ContainerManager containers, PodNamespacePins pins) {}

  /** What a container's leftovers are found with. */
  record ContainerParts(Path quarantine, ConmonShim shim, ImageStore images) {}

  private QuarantinedObjects() {}

  static void cleanUp(SandboxParts sandboxParts, ContainerParts containerParts) throws IOException {
    for (String id : uncleaned(containerParts.quarantine())) {
      Path dir = containerParts.quarantine().resolve(id);
      List<String> failures = new ArrayList<>();
      step(failures, "delete its runtime container and shim", () -> containerParts.shim().delete(id));
      step(failures, "release its rootfs", () -> containerParts.images().releaseRootfs(id,
          dir.resolve("bundle").resolve("rootfs")));
      step(failures, "release its image volumes", () -> new ImageVolumes(containerParts.images()).release(id, dir));
      finish("container", id, dir, failures);
    }
    // Before the pods: a pod's cgroup can only go once its containers' processes have.
    stopContainersWithoutPod(sandboxParts);
    for (String id : uncleaned(sandboxParts.quarantine())) {
      Path dir = sandboxParts.quarantine().resolve(id);
      List<String> failures = new ArrayList<>();
      cleanSandbox(sandboxParts, id, failures);
      finish("pod sandbox", id, dir, failures);
    }
  }

  private static void cleanSandbox(SandboxParts parts, String id, List<String> failures) {
    step(failures, "delete its infra container and shim", () -> parts.shim().delete(id));
    step(failures, "CNI DEL", () -> {
      Path netns = parts.namespaces().exists(id) ? parts.namespaces().path(id) : null;
      parts.network().detach(new CniAttachment(id, netns, "eth0", "", "", "", List.of()));
    });
    step(failures, "remove its network namespace", () -> parts.namespaces().remove(id));
    step(failures, "unpin its IPC and UTS namespaces", () -> parts.pins().remove(id));
    step(failures, "remove its pod files", () -> new PodFiles(parts.podsDir(), id).remove());
    step(failures, "remove its cgroup", () -> parts.cgroups().remove(parts.defaultCgroupParent() + "/" + id));
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

  private interface Step {
    void run() throws Exception;
  }

  private static void step(List<String> failures, String what, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      failures.add(what + ": " + e.getMessage());
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
