package dev.berth.runtime.container;

/** The cgroup limits a container runs with; 0 or empty means "not set". */
public record LinuxResources(
    long cpuPeriod,
    long cpuQuota,
    long cpuShares,
    long memoryLimitBytes,
    long oomScoreAdj,
    String cpusetCpus,
    String cpusetMems,
    long memorySwapLimitBytes) {

  public static final LinuxResources NONE = new LinuxResources(0, 0, 0, 0, 0, "", "", 0);
}
