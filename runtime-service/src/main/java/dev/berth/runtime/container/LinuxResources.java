package dev.berth.runtime.container;

import java.util.List;

/** The cgroup limits a container runs with; 0 or empty means "not set". */
public record LinuxResources(
    long cpuPeriod,
    long cpuQuota,
    long cpuShares,
    long memoryLimitBytes,
    long oomScoreAdj,
    String cpusetCpus,
    String cpusetMems,
    long memorySwapLimitBytes,
    List<HugepageLimit> hugepageLimits) {

  /** A hugetlb limit for one page size, e.g. "2MB". */
  public record HugepageLimit(String pageSize, long limitBytes) {}

  public LinuxResources {
    hugepageLimits = hugepageLimits == null ? List.of() : List.copyOf(hugepageLimits);
    cpusetCpus = cpusetCpus == null ? "" : cpusetCpus;
    cpusetMems = cpusetMems == null ? "" : cpusetMems;
  }

  public static final LinuxResources NONE = new LinuxResources(0, 0, 0, 0, 0, "", "", 0, List.of());

  /** The same limits without the hugepage ones. */
  public LinuxResources withoutHugepageLimits() {
    return new LinuxResources(cpuPeriod, cpuQuota, cpuShares, memoryLimitBytes, oomScoreAdj, cpusetCpus, cpusetMems,
        memorySwapLimitBytes, List.of());
  }
}
