package dev.berth.runtime.cgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link CgroupLimits} as cgroup v2 files, the way runc and the kubelet translate the CRI's v1
 * terms: shares become cpu.weight, quota and period one cpu.max line, memory plus swap the swap
 * alone. Pure: the node is only asked for the current cpu.max when a period comes without a quota.
 */
final class V2LimitFiles {

  /** v1's range of cpu.shares (the kernel clamps to it); the weight of the ends is 1 and 10000. */
  private static final long MIN_SHARES = 2;
  private static final long MAX_SHARES = 262144;

  private V2LimitFiles() {}

  /**
   * @param pageSizes the node's huge page sizes; a limit for another size is refused
   * @param currentCpuMax the cgroup's cpu.max now, read only when the period changes alone
   */
  static List<CgroupFileWrite> writes(CgroupLimits limits, List<String> pageSizes, Supplier<String> currentCpuMax) {
    List<CgroupFileWrite> writes = new ArrayList<>();
    if (limits.cpuShares() > 0) {
      writes.add(CgroupFileWrite.of("cpu", "cpu.weight", weightFromShares(limits.cpuShares())));
    }
    if (limits.cpuQuota() != 0 || limits.cpuPeriod() > 0) {
      writes.add(CgroupFileWrite.of("cpu", "cpu.max", cpuMax(limits.cpuQuota(), limits.cpuPeriod(), currentCpuMax)));
    }
    if (!limits.cpusetCpus().isEmpty()) {
      writes.add(CgroupFileWrite.of("cpuset", "cpuset.cpus", limits.cpusetCpus()));
    }
    if (!limits.cpusetMems().isEmpty()) {
      writes.add(CgroupFileWrite.of("cpuset", "cpuset.mems", limits.cpusetMems()));
    }
    if (limits.memoryLimitBytes() > 0) {
      writes.add(CgroupFileWrite.of("memory", "memory.max", limits.memoryLimitBytes()));
    }
    if (limits.memorySwapLimitBytes() > 0) {
      long swap = swapOnly(limits.memoryLimitBytes(), limits.memorySwapLimitBytes());
      // No swap asked for (memory plus swap equal to memory) is harmless where swap is not accounted.
      writes.add(new CgroupFileWrite("memory", "memory.swap.max", Long.toString(swap), swap == 0));
    }
    if (limits.pidsLimit() != 0) {
      writes.add(CgroupFileWrite.of("pids", "pids.max", limits.pidsLimit() < 0 ? "max" : Long.toString(limits.pidsLimit())));
    }
    for (Map.Entry<String, Long> limit : limits.hugepageLimits().entrySet()) {
      requirePageSize(limit.getKey(), pageSizes);
      writes.add(CgroupFileWrite.of("hugetlb", "hugetlb." + limit.getKey() + ".max", limit.getValue()));
    }
    writes.addAll(unified(limits));
    return writes;
  }

  /** runc's and the kubelet's linear map of shares [2, 262144] onto weight [1, 10000]. */
  static long weightFromShares(long shares) {
    long clamped = Math.clamp(shares, MIN_SHARES, MAX_SHARES);
    return 1 + ((clamped - 2) * 9999) / 262142;
  }

  /** "QUOTA PERIOD", "max PERIOD" for no quota; the period alone keeps the quota there is. */
  static String cpuMax(long quota, long period, Supplier<String> current) {
    String quotaPart;
    if (quota > 0) {
      quotaPart = Long.toString(quota);
    } else if (quota < 0) {
      quotaPart = "max";
    } else {
      quotaPart = current.get().trim().split(" ")[0];
    }
    return period > 0 ? quotaPart + " " + period : quotaPart;
  }

  /** v2 limits swap alone; the CRI, like v1's memsw, counts memory plus swap. */
  static long swapOnly(long memory, long memoryAndSwap) {
    if (memory <= 0) {
      throw new IllegalArgumentException("memory_swap_limit_in_bytes " + memoryAndSwap
          + " needs memory_limit_in_bytes on cgroup v2, which limits swap alone (memory.swap.max)");
    }
    if (memoryAndSwap < memory) {
      throw new IllegalArgumentException("memory_swap_limit_in_bytes " + memoryAndSwap
          + " is below memory_limit_in_bytes " + memory);
    }
    return memoryAndSwap - memory;
  }

  static void requirePageSize(String size, List<String> pageSizes) {
    if (!pageSizes.contains(size)) {
      throw new IllegalArgumentException("hugepage_limits page_size " + size + " is not a huge page size of this node "
          + pageSizes);
    }
  }

  /** The unified map's keys as files of the v2 directory, after the same check the CRI edge makes. */
  static List<CgroupFileWrite> unified(CgroupLimits limits) {
    List<CgroupFileWrite> writes = new ArrayList<>();
    for (Map.Entry<String, String> entry : limits.unified().entrySet()) {
      if (!CgroupLimits.isUnifiedFileName(entry.getKey())) {
        throw new IllegalArgumentException("unified key '" + entry.getKey() + "' is not a controller's file");
      }
      writes.add(CgroupFileWrite.of(CgroupFileWrite.UNIFIED, entry.getKey(), entry.getValue()));
    }
    return writes;
  }
}
