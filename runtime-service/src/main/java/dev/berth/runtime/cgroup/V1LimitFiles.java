package dev.berth.runtime.cgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@link CgroupLimits} as cgroup v1 files, one hierarchy per controller; on a hybrid node
 * hugetlb and the unified map go to the v2 mount in v2 naming. Pure but for one question to the
 * node: the current memory+swap limit, which decides whether memory or memsw is written first.
 */
final class V1LimitFiles {

  private V1LimitFiles() {}

  /**
   * @param hugetlbOnUnified the hybrid layout where hugetlb lives only on the v2 mount
   * @param unifiedMounted whether the unified map has anywhere to go (hybrid)
   * @param currentMemorySwap memory.memsw.limit_in_bytes now, asked only when both limits change
   */
  static List<CgroupFileWrite> writes(CgroupLimits limits, List<String> pageSizes, boolean hugetlbOnUnified,
      boolean unifiedMounted, LongSupplier currentMemorySwap) {
    List<CgroupFileWrite> writes = new ArrayList<>();
    if (limits.cpuShares() > 0) {
      writes.add(CgroupFileWrite.of("cpu", "cpu.shares", limits.cpuShares()));
    }
    // The period first: a quota is only valid against the period it was computed for.
    if (limits.cpuPeriod() > 0) {
      writes.add(CgroupFileWrite.of("cpu", "cpu.cfs_period_us", limits.cpuPeriod()));
    }
    if (limits.cpuQuota() != 0) {
      writes.add(CgroupFileWrite.of("cpu", "cpu.cfs_quota_us", limits.cpuQuota() < 0 ? -1 : limits.cpuQuota()));
    }
    if (!limits.cpusetCpus().isEmpty()) {
      writes.add(CgroupFileWrite.of("cpuset", "cpuset.cpus", limits.cpusetCpus()));
    }
    if (!limits.cpusetMems().isEmpty()) {
      writes.add(CgroupFileWrite.of("cpuset", "cpuset.mems", limits.cpusetMems()));
    }
    writes.addAll(memory(limits.memoryLimitBytes(), limits.memorySwapLimitBytes(), currentMemorySwap));
    if (limits.pidsLimit() != 0) {
      writes.add(CgroupFileWrite.of("pids", "pids.max", limits.pidsLimit() < 0 ? "max" : Long.toString(limits.pidsLimit())));
    }
    for (Map.Entry<String, Long> limit : limits.hugepageLimits().entrySet()) {
      V2LimitFiles.requirePageSize(limit.getKey(), pageSizes);
      String file = "hugetlb." + limit.getKey() + (hugetlbOnUnified ? ".max" : ".limit_in_bytes");
      writes.add(CgroupFileWrite.of("hugetlb", file, limit.getValue()));
    }
    if (!limits.unified().isEmpty() && !unifiedMounted) {
      throw new UnsupportedOperationException("unified " + limits.unified().keySet()
          + ": this node mounts cgroup v1 only, which has no unified hierarchy");
    }
    writes.addAll(V2LimitFiles.unified(limits));
    return writes;
  }

  /**
   * The kernel keeps memory.limit_in_bytes at or below memory.memsw.limit_in_bytes at every
   * step: raising both writes memsw first, lowering both writes memory first.
   */
  private static List<CgroupFileWrite> memory(long memory, long memoryAndSwap, LongSupplier currentMemorySwap) {
    CgroupFileWrite memoryWrite = memory > 0 ? CgroupFileWrite.of("memory", "memory.limit_in_bytes", memory) : null;
    if (memoryAndSwap <= 0) {
      return memoryWrite == null ? List.of() : List.of(memoryWrite);
    }
    if (memory > 0 && memoryAndSwap < memory) {
      throw new IllegalArgumentException("memory_swap_limit_in_bytes " + memoryAndSwap
          + " is below memory_limit_in_bytes " + memory);
    }
    // Without swap accounting there is no memsw file; asking for no swap (memsw equal to memory) is then harmless.
    CgroupFileWrite swapWrite = new CgroupFileWrite("memory", "memory.memsw.limit_in_bytes",
        Long.toString(memoryAndSwap), memoryAndSwap == memory);
    if (memoryWrite == null) {
      return List.of(swapWrite);
    }
    return memory > currentMemorySwap.getAsLong() ? List.of(swapWrite, memoryWrite) : List.of(memoryWrite, swapWrite);
  }
}
