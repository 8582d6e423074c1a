package dev.berth.runtime.stats;

import java.util.Map;

/**
 * A pod as stats and metrics need it: the names its series carry and where its cgroup and
 * network are read. Taken from the pod's record by whoever owns the pods ({@link Workloads}), so
 * that stats never depends on the managers.
 *
 * @param cgroupParent the pod cgroup (cgroupfs path), cAdvisor's "id" label of the pod's series
 * @param networkReadable ready and in a network namespace of its own (not host network): only
 *     then are its interfaces read
 * @param infraPid the infra process, 0 for a pod without one
 */
public record PodSnapshot(String id, String name, String uid, String namespace, int attempt,
    Map<String, String> labels, Map<String, String> annotations, String cgroupParent, boolean networkReadable,
    long infraPid) {

  public PodSnapshot {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }
}
