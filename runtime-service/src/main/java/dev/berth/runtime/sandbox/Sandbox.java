package dev.berth.runtime.sandbox;

import java.util.List;

/**
 * A pod sandbox as persisted: its spec plus what running it produced. Immutable; a state change
 * is a new value that the manager saves before anyone can see it.
 *
 * @param netnsPath the pinned network namespace, empty for host-network pods
 * @param cgroupParent the pod cgroup its containers live under (cgroupfs path)
 * @param infraPid pid of the infra process (catatonit) that holds the pod's namespaces; 0 for a pod run
 *     without one, whose namespaces are pinned files (runtime.infra_container = "when-needed")
 */
public record Sandbox(
    String id,
    SandboxSpec spec,
    SandboxState state,
    long createdAtNanos,
    String netnsPath,
    List<String> ips,
    String cgroupParent,
    long infraPid) {

  public Sandbox {
    ips = List.copyOf(ips);
  }

  public Sandbox withState(SandboxState newState) {
    return new Sandbox(id, spec, newState, createdAtNanos, netnsPath, ips, cgroupParent, infraPid);
  }

  public Sandbox withNetwork(String newNetnsPath, List<String> newIps) {
    return new Sandbox(id, spec, state, createdAtNanos, newNetnsPath, newIps, cgroupParent, infraPid);
  }

  public Sandbox withInfraPid(long pid) {
    return new Sandbox(id, spec, state, createdAtNanos, netnsPath, ips, cgroupParent, pid);
  }
}
