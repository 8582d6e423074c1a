package dev.berth.runtime.recovery;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerIntent;
import dev.berth.runtime.container.ContainerRelease;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.Release;
import dev.berth.runtime.sandbox.PodRelease;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxIntent;
import dev.berth.runtime.store.CreationIntent;
import dev.berth.runtime.store.RecordStore;
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
 * short by a daemon that died (its {@link CreationIntent} note is there, its record is not), with
 * the same release a removal runs ({@link ContainerRelease}, {@link PodRelease}). Each step is
 * harmless when its side effect never happened, so the release runs in full whatever point the
 * create had reached; what the note says (the pod's identity for CNI DEL, its network, the cgroups
 * Berth made) narrows it, and without a readable note the object is released by id alone. A note
 * beside a record is only a kill between the record's save and the note's removal: the object is
 * complete and kept.
 *
 * <p>A release that fails leaves the directory and its note, so the next start tries again; the
 * half-made object is never adopted, so its name is free for the kubelet's retry either way.
 */
public final class HalfMadeObjects {

  private static final Logger log = LoggerFactory.getLogger(HalfMadeObjects.class);

  /**
   * What the undo works with.
   *
   * @param defaultCgroupParent where Berth makes a pod's cgroup when the kubelet names none
   */
  public record Parts(RecordStore<Sandbox> sandboxes, RecordStore<Container> containers, PodRelease podRelease,
      ContainerRelease containerRelease, String defaultCgroupParent) {}

  @FunctionalInterface
  private interface ReleaseOf {
    Release of(String id, Path dir);
  }

  private final Parts parts;

  public HalfMadeObjects(Parts parts) {
    this.parts = parts;
  }

  /** Undoes every half-made object; containers first, as they may live in a half-made sandbox. */
  public int undoAll() throws IOException {
    int undone = undo("container", parts.containers(), this::containerRelease);
    return undone + undo("pod sandbox", parts.sandboxes(), this::sandboxRelease);
  }

  private int undo(String kind, RecordStore<?> store, ReleaseOf release) throws IOException {
    int undone = 0;
    for (Path dir : noted(store.dir())) {
      String id = dir.getFileName().toString();
      if (store.exists(id)) {
        CreationIntent.remove(dir);
        continue;
      }
      List<String> failures = release.of(id, dir).run();
      if (failures.isEmpty()) {
        undone++;
        log.warn("{} {} was half made when berth stopped; undone", kind, id);
      } else {
        log.error("{} {} was half made when berth stopped and could not be undone (tried again at the next start): {}",
            kind, id, String.join("; ", failures));
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

  /**
   * runc delete removes the cgroup of a container it knows; one cut short before that may remain.
   * Its pod, from the note, names its idmapped mounts (a pod with its own user namespace).
   */
  private Release containerRelease(String id, Path dir) {
    Optional<ContainerIntent> intent = CreationIntent.read(dir, ContainerIntent.class);
    return parts.containerRelease().onRemove(new ContainerRelease.Target(id, dir,
        intent.map(ContainerIntent::cgroupPath), intent.map(ContainerIntent::sandboxId)));
  }

  private Release sandboxRelease(String id, Path dir) {
    return parts.podRelease().onRemove(PodRelease.Target.ofNote(id, CreationIntent.read(dir, SandboxIntent.class),
        parts.defaultCgroupParent()));
  }
}
