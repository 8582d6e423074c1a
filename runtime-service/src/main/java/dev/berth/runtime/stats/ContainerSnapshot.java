package dev.berth.runtime.stats;

import java.util.Map;

/**
 * A container as stats and metrics need it: the names its series carry and what decides whether
 * its cgroup is read. Taken from the container's record by whoever owns the containers
 * ({@link Workloads}).
 *
 * @param image the image as the kubelet named it, cAdvisor's "image" label
 * @param live created or running: a stopped container's cgroup is read no further
 * @param running its pid is a process in the pod's namespaces
 * @param startedAtNanos Unix nanoseconds, 0 before it started
 */
public record ContainerSnapshot(String id, String sandboxId, String name, int attempt, String image,
    Map<String, String> labels, Map<String, String> annotations, boolean live, boolean running, long pid,
    long startedAtNanos) {

  public ContainerSnapshot {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }
}
