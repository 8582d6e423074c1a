package dev.berth.runtime.stats;

import dev.berth.runtime.cgroup.CgroupStats;
import java.util.Optional;

/**
 * One container's statistics at one moment: what CRI stats, CRI metrics and the Prometheus
 * series of that container are all made from.
 *
 * @param sandbox the container's pod; null when its pod is gone
 * @param cgroupPath the container's cgroup (cgroupfs path), cAdvisor's "id" label
 * @param cgroup empty when the cgroup is gone (exited and deleted) or never existed
 * @param details {@link MetricsDetails#NONE} except for the metrics endpoint and calls
 */
public record ContainerSample(ContainerSnapshot container, PodSnapshot sandbox, String cgroupPath, long timestampNanos,
    Optional<CgroupStats> cgroup, Optional<LayerUsage> writableLayer, MetricsDetails details) {}
