package dev.berth.runtime.stats;

import dev.berth.runtime.cgroup.CgroupSpec;
import java.util.Optional;

/**
 * What only the metrics endpoint and the CRI metrics calls report about a cgroup: its limits,
 * its processes and the filesystem under the writable layers. The CRI stats calls, which the
 * kubelet makes every few seconds, read none of it ({@link #NONE}).
 */
public record MetricsDetails(Optional<CgroupSpec> spec, Optional<ProcessStats> processes,
    Optional<FilesystemSample> filesystem) {

  public static final MetricsDetails NONE = new MetricsDetails(Optional.empty(), Optional.empty(), Optional.empty());
}
