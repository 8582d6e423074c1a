package dev.berth.runtime.stats;

import dev.berth.runtime.cgroup.CgroupStats;
import java.util.List;
import java.util.Optional;

/**
 * One pod's statistics at one moment: its own cgroup (the sum over its containers and infra),
 * its network interfaces and each of its containers.
 *
 * @param details the pod cgroup's; {@link MetricsDetails#NONE} except for the metrics endpoint and calls
 */
public record PodSample(PodSnapshot sandbox, String cgroupPath, long timestampNanos, Optional<CgroupStats> cgroup,
    List<InterfaceStats> network, List<ContainerSample> containers, MetricsDetails details) {

  public PodSample {
    network = List.copyOf(network);
    containers = List.copyOf(containers);
  }
}
