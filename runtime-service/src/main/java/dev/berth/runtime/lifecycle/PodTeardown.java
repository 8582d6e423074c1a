package dev.berth.runtime.lifecycle;

import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import java.util.Optional;

/**
 * StopPodSandbox and RemovePodSandbox: a pod's containers first, then the pod. The two managers
 * each release their own objects ({@code ContainerRelease}, {@code PodRelease}); this is the
 * one place that knows a pod's containers go before it, so the sandbox manager needs no way back
 * to the containers. Both calls are idempotent: a pod that is not there is success.
 */
public final class PodTeardown {

  private final SandboxManager sandboxes;
  private final ContainerManager containers;

  public PodTeardown(SandboxManager sandboxes, ContainerManager containers) {
    this.sandboxes = sandboxes;
    this.containers = containers;
  }

  /** Kills every container of the pod, then its infra or pins, its network and pod files. */
  public void stop(String idOrPrefix) {
    Optional<Sandbox> pod = sandboxes.find(idOrPrefix);
    if (pod.isEmpty()) {
      return;
    }
    containers.stopAll(pod.get().id());
    sandboxes.stop(pod.get().id());
  }

  /** Removes every container of the pod (each stopped first), then everything the pod holds. */
  public void remove(String idOrPrefix) {
    Optional<Sandbox> pod = sandboxes.find(idOrPrefix);
    if (pod.isEmpty()) {
      return;
    }
    containers.removeAll(pod.get().id());
    sandboxes.remove(pod.get().id());
  }
}
