package dev.berth.runtime.sandbox;

import dev.berth.runtime.model.Release;
import dev.berth.runtime.model.ReleaseStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one release of what a pod holds on the node, used by a failed RunPodSandbox's undo,
 * StopPodSandbox, RemovePodSandbox, the undo of a pod half made when the daemon died, and the
 * clean-up behind a quarantined record. The steps, in this order, each harmless when what it
 * releases is already gone or was never made:
 *
 * <ol>
 *   <li>the pod files (hostname, hosts, resolv.conf, the shm mount);
 *   <li>the pod's namespaces as its {@link PodNamespaces} holds them (infra killed on stop and
 *       deleted on removal, or the pins removed); both kinds when the choice is not known;
 *   <li>on removal: the infra's cgroup below a pod cgroup the kubelet named, when Berth made it
 *       (for an infra that was a spare, {@link SpareInfras}; runc removes the one it made);
 *   <li>CNI DEL (the cache written at ADD carries what it needs), unless the pod is on the host's network;
 *   <li>the network namespace pin;
 *   <li>on removal: the pod cgroup, when Berth made it;
 *   <li>on removal: the pod's directory with its record, last and only once everything else is
 *       gone, so that a removal that failed half way is found and finished by a retry.
 * </ol>
 *
 * A create pushes each step on its {@link dev.berth.runtime.model.Undo} in the reverse order as it
 * makes what the step releases, so its rollback runs them in this same order. What the pod's
 * containers hold is {@code ContainerRelease}'s: they are released before their pod.
 */
public final class PodRelease {

  /** What a pod holds on the node, each removal succeeding when there is nothing left to remove. */
  public interface Node {
    void removePodFiles(String sandboxId) throws Exception;

    /** CNI DEL; {@code spec} gives the pod's identity to the plugins when it is known. */
    void detachNetwork(String sandboxId, Optional<SandboxSpec> spec) throws Exception;

    void removeNetworkNamespace(String sandboxId) throws Exception;

    void removeCgroup(String cgroupPath) throws Exception;

    void deleteDirectory(String sandboxId) throws Exception;
  }

  /**
   * What is known of the pod to release: everything from its record or from a create in
   * progress; its spec and owned cgroup from a creation note; its id alone behind a record that
   * could not be read.
   *
   * @param spec empty when unknown: then CNI DEL and the network namespace are released as if it had its own
   * @param ownedCgroup the pod cgroup Berth made for it, empty when the kubelet named one
   * @param namespaces how it holds its namespaces, empty when unknown (each kind is released)
   */
  public record Target(String id, Optional<SandboxSpec> spec, Optional<String> ownedCgroup,
      Optional<PodNamespaces> namespaces) {

    /** A pod that has a record. */
    public static Target of(Sandbox sandbox, PodNamespaces namespaces) {
      return new Target(sandbox.id(), Optional.of(sandbox.spec()),
          sandbox.spec().cgroupParent().isEmpty() ? Optional.of(sandbox.cgroupParent()) : Optional.empty(),
          Optional.of(namespaces));
    }

    /**
     * A pod known by its creation note, or not even that (an unreadable note, a quarantined
     * record): the pod cgroup Berth makes is named by the pod's id, so without a note it is that one.
     */
    public static Target ofNote(String id, Optional<SandboxIntent> note, String defaultCgroupParent) {
      return new Target(id, note.map(SandboxIntent::spec),
          note.map(n -> Optional.of(n.ownedCgroup()).filter(c -> !c.isEmpty()))
              .orElse(Optional.of(defaultCgroupParent + "/" + id)),
          Optional.empty());
    }

    private boolean hasOwnNetwork() {
      return spec.map(s -> !s.hostNetwork()).orElse(true);
    }
  }

  private final Node node;
  private final PodNamespaceChoice choice;

  public PodRelease(Node node, PodNamespaceChoice choice) {
    this.node = node;
    this.choice = choice;
  }

  /** StopPodSandbox: nothing of the pod runs, its network is gone; its record and cgroup stay. */
  public Release onStop(Target pod) {
    List<ReleaseStep> steps = new ArrayList<>();
    steps.add(podFiles(pod));
    steps.addAll(namespaces(pod, false));
    network(pod).ifPresent(steps::add);
    networkNamespace(pod).ifPresent(steps::add);
    return Release.of(steps);
  }

  /** RemovePodSandbox, an undo at start-up: nothing of the pod is left, its directory last. */
  public Release onRemove(Target pod) {
    List<ReleaseStep> steps = new ArrayList<>();
    steps.add(podFiles(pod));
    steps.addAll(namespaces(pod, true));
    infraCgroup(pod).ifPresent(steps::add);
    network(pod).ifPresent(steps::add);
    networkNamespace(pod).ifPresent(steps::add);
    cgroup(pod).ifPresent(steps::add);
    return new Release(steps, Optional.of(directory(pod)));
  }

  public ReleaseStep podFiles(Target pod) {
    return new ReleaseStep("remove the pod files", () -> node.removePodFiles(pod.id()));
  }

  /** The namespaces' removal step(s): the pod's own kind, or every kind when it is unknown. */
  public List<ReleaseStep> namespaces(Target pod, boolean removing) {
    return namespaces(pod).stream()
        .map(holder -> removing ? holder.releaseOnRemove(pod.id()) : holder.releaseOnStop(pod.id())).toList();
  }

  private List<PodNamespaces> namespaces(Target pod) {
    return pod.namespaces().map(List::of).orElseGet(choice::all);
  }

  /**
   * The infra's cgroup ({@code <pod cgroup>/<id>}) in a pod cgroup the kubelet named, for a pod
   * that may have an infra; in a pod cgroup Berth made, that cgroup's removal takes it.
   */
  public Optional<ReleaseStep> infraCgroup(Target pod) {
    if (pod.ownedCgroup().isPresent() || pod.spec().map(s -> s.cgroupParent().isEmpty()).orElse(true)
        || !pod.namespaces().map(PodNamespaces::hasShim).orElse(true)) {
      return Optional.empty();
    }
    String path = pod.spec().get().cgroupParent() + "/" + pod.id();
    return Optional.of(new ReleaseStep("remove the infra's cgroup " + path, () -> node.removeCgroup(path)));
  }

  /** CNI DEL, for a pod with a network of its own. */
  public Optional<ReleaseStep> network(Target pod) {
    return pod.hasOwnNetwork()
        ? Optional.of(new ReleaseStep("CNI DEL", () -> node.detachNetwork(pod.id(), pod.spec())))
        : Optional.empty();
  }

  public Optional<ReleaseStep> networkNamespace(Target pod) {
    return pod.hasOwnNetwork()
        ? Optional.of(new ReleaseStep("remove the network namespace", () -> node.removeNetworkNamespace(pod.id())))
        : Optional.empty();
  }

  public Optional<ReleaseStep> cgroup(Target pod) {
    return pod.ownedCgroup().map(path -> new ReleaseStep("remove the pod cgroup " + path,
        () -> node.removeCgroup(path)));
  }

  public ReleaseStep directory(Target pod) {
    return new ReleaseStep("delete the pod's directory", () -> node.deleteDirectory(pod.id()));
  }
}
