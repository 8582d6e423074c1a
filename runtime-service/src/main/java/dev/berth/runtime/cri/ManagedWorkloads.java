package dev.berth.runtime.cri;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import dev.berth.runtime.stats.ContainerSnapshot;
import dev.berth.runtime.stats.PodSnapshot;
import dev.berth.runtime.stats.Workloads;
import java.util.List;
import java.util.Optional;

/**
 * The managers' pods and containers as the stats collector reads them. Here, beside the CRI
 * service that asks for stats of one record, so that stats and metrics never see the managers.
 */
public final class ManagedWorkloads implements Workloads {

  private final SandboxManager sandboxes;
  private final ContainerManager containers;

  public ManagedWorkloads(SandboxManager sandboxes, ContainerManager containers) {
    this.sandboxes = sandboxes;
    this.containers = containers;
  }

  @Override
  public List<PodSnapshot> pods() {
    return sandboxes.list().stream().map(ManagedWorkloads::snapshot).toList();
  }

  @Override
  public List<ContainerSnapshot> containers() {
    return containers.list().stream().map(ManagedWorkloads::snapshot).toList();
  }

  @Override
  public List<ContainerSnapshot> containersOf(String podId) {
    return containers.list().stream().filter(c -> c.sandboxId().equals(podId)).map(ManagedWorkloads::snapshot)
        .toList();
  }

  @Override
  public Optional<PodSnapshot> pod(String id) {
    return sandboxes.find(id).map(ManagedWorkloads::snapshot);
  }

  static PodSnapshot snapshot(Sandbox sandbox) {
    var pod = sandbox.spec().pod();
    return new PodSnapshot(sandbox.id(), pod.name(), pod.uid(), pod.namespace(), pod.attempt(),
        sandbox.spec().labels(), sandbox.spec().annotations(), sandbox.cgroupParent(),
        !sandbox.spec().hostNetwork() && sandbox.state() == SandboxState.READY, sandbox.infraPid());
  }

  static ContainerSnapshot snapshot(Container container) {
    var spec = container.spec();
    return new ContainerSnapshot(container.id(), container.sandboxId(), spec.name(), spec.attempt(),
        spec.displayImage(), spec.labels(), spec.annotations(), container.isLive(),
        container.state() == ContainerState.RUNNING, container.pid(), container.startedAtNanos());
  }
}
