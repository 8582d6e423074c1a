package dev.berth.runtime.sandbox;

import dev.berth.runtime.config.BerthConfig;
import java.util.List;

/** Which {@link PodNamespaces} a pod gets: decided once when it is run, read from its record afterwards. */
public final class PodNamespaceChoice {

  private final BerthConfig.InfraContainer mode;
  private final PodNamespaces infra;
  private final PodNamespaces pinned;

  /**
   * @param infra the namespaces of pods with an infra process ({@link InfraProcess})
   * @param pinned those of pods without ({@link PinnedNamespaces})
   */
  public PodNamespaceChoice(BerthConfig.InfraContainer mode, PodNamespaces infra, PodNamespaces pinned) {
    this.mode = mode;
    this.infra = infra;
    this.pinned = pinned;
  }

  /**
   * A pod needs an infra process when its containers share a PID namespace (the infra is their
   * pid 1 and reaper) or it sets sysctls (runc writes them as it creates the infra); in the
   * "always" mode every pod gets one.
   */
  public PodNamespaces forNew(SandboxSpec spec) {
    return needsInfra(spec) ? infra : pinned;
  }

  /** Whether {@link #forNew} gives the pod an infra process. */
  public boolean needsInfra(SandboxSpec spec) {
    return mode == BerthConfig.InfraContainer.ALWAYS
        || (spec.sharedPid() && !spec.hostPid())
        || !spec.sysctls().isEmpty();
  }

  /** The choice made when the pod was run: its record names an infra pid only if it got one. */
  public PodNamespaces of(Sandbox sandbox) {
    return sandbox.infraPid() > 0 ? infra : pinned;
  }

  /** Both, for a pod whose choice is unknown (no record, or an unreadable one): each releases harmlessly. */
  public List<PodNamespaces> all() {
    return List.of(infra, pinned);
  }
}
