package dev.berth.runtime.recovery;

import dev.berth.image.ImageStore;
import dev.berth.runtime.cgroup.CgroupPaths;
import dev.berth.runtime.cni.CniAttachment;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerIntent;
import dev.berth.runtime.container.ImageVolumes;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.pod.PodFiles;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxIntent;
import dev.berth.runtime.store.CreationIntent;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.shim.ConmonShim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up, before records are loaded: undoes every sandbox and container whose create was cut
 * short by a daemon that died (its {@link CreationIntent} note is there, its record is not). Each
 * step is idempotent and harmless when its side effect never happened, so the steps run in full
 * whatever point the create had reached: runtime container and shim, CNI attachment (from the
 * CNI cache, written before ADD), network namespace, IPC/UTS pins, pod files, rootfs mount and snapshot,
 * cgroups, and last the object's directory with its note. A note beside a record is only a kill
 * between the record's save and the note's removal: the object is complete and kept.
 *
 * <p>An undo that fails leaves the note, so the next start tries again; the half-made object is
 * never adopted, so its name is free for the kubelet's retry either way.
 */
public final class HalfMadeObjects {

  private static final Logger log = LoggerFactory.getLogger(HalfMadeObjects.class);

  /** What the undo steps work with: the same parts the managers create objects with. */
  public record Parts(RecordStore<Sandbox> sandboxes, RecordStore<Container> containers, ConmonShim shim,
      ImageStore images, NetworkNamespaces namespaces, CniNetwork network, Path podsDir, CgroupPaths cgroups,
      PodNamespacePins pins, IdmapStaging idmap) {}

  @FunctionalInterface
  private interface UndoSteps {
    void run(String id, Path dir) throws Exception;
  }

  private final Parts parts;

  public HalfMadeObjects(Parts parts) {
    this.parts = parts;
  }

  /** Undoes every half-made object; containers first, as they may live in a half-made sandbox. */
  public int undoAll() throws IOException {
    int undone = undo("container", parts.containers(), this::undoContainer);
    return undone + undo("pod sandbox", parts.sandboxes(), this::undoSandbox);
  }

  private int undo(String kind, RecordStore<?> store, UndoSteps steps) throws IOException {
    int undone = 0;
    for (Path dir : noted(store.dir())) {
      String id = dir.getFileName().toString();
      if (store.exists(id)) {
        CreationIntent.remove(dir);
        continue;
      }
      try {
        steps.run(id, dir);
        undone++;
        log.warn("{} {} was half made when berth stopped; undone", kind, id);
      } catch (Exception e) {
        log.error("{} {} was half made when berth stopped and could not be undone (tried again at the next start): {}",
            kind, id, e.toString());
      }
    }
    return undone;
  }

  private static List<Path> noted(Path storeDir) throws IOException {
    try (Stream<Path> entries = Files.list(storeDir)) {
      return entries.filter(e -> Ids.isFullId(e.getFileName().toString()))
          .filter(Files::isDirectory)
          .filter(CreationIntent::exists)
          .sorted()
          .toList();
    }
  }

  private void undoContainer(String id, Path dir) throws Exception {
    Optional<ContainerIntent> intent = CreationIntent.read(dir, ContainerIntent.class);
    parts.shim().delete(id);
    if (intent.isPresent()) {
      // A container of a pod with its own user namespace: its rootfs overlay and idmapped copies.
      parts.idmap().release(intent.get().sandboxId(), id);
    }
    // Unmounted before the directory goes: deleting through the overlay would reach its layers.
    parts.images().releaseRootfs(id, dir.resolve("bundle").resolve("rootfs"));
    new ImageVolumes(parts.images()).release(id, dir);
    if (intent.isPresent()) {
      // runc delete removes the cgroup of a container it knows; one cut short before that may remain.
      parts.cgroups().remove(intent.get().cgroupPath());
    }
    parts.containers().delete(id);
  }

  private void undoSandbox(String id, Path dir) throws Exception {
    Optional<SandboxIntent> intent = CreationIntent.read(dir, SandboxIntent.class);
    parts.shim().delete(id);
    if (intent.isEmpty() || !intent.get().spec().hostNetwork()) {
      Path netns = parts.namespaces().exists(id) ? parts.namespaces().path(id) : null;
      // The CNI cache entry (written before the first plugin ran) carries the config and args DEL needs.
      parts.network().detach(new CniAttachment(id, netns, "eth0",
          intent.map(i -> i.spec().pod().name()).orElse(""), intent.map(i -> i.spec().pod().namespace()).orElse(""),
          intent.map(i -> i.spec().pod().uid()).orElse(""), List.of()));
      parts.namespaces().remove(id);
    }
    parts.pins().remove(id);
    parts.idmap().releasePod(id);
    new PodFiles(parts.podsDir(), id).remove();
    if (intent.isPresent() && !intent.get().ownedCgroup().isEmpty()) {
      parts.cgroups().remove(intent.get().ownedCgroup());
    }
    parts.sandboxes().delete(id);
  }
}
