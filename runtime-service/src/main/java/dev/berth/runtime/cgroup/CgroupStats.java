package dev.berth.runtime.cgroup;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One read of one cgroup: what the CRI stats and the Prometheus series are both built from.
 * A section is empty when its controller is not there (not mounted, not delegated) or the cgroup
 * vanished while it was read. Byte and time values are as the kernel counts them; 0 means "no
 * limit" for limits, and -1 means "this kernel or hierarchy does not report it".
 */
public record CgroupStats(
    Optional<Cpu> cpu,
    Optional<Memory> memory,
    List<BlockDevice> blockDevices,
    Optional<Pids> pids,
    List<Hugetlb> hugetlb) {

  public CgroupStats {
    blockDevices = List.copyOf(blockDevices);
    hugetlb = List.copyOf(hugetlb);
  }

  /**
   * @param perCpuNanos usage per CPU; empty on cgroup v2, which does not split it
   * @param throttledNanos time throttled by the CFS quota
   */
  public record Cpu(long usageNanos, long userNanos, long systemNanos, List<Long> perCpuNanos, long periods,
      long throttledPeriods, long throttledNanos) {
    public Cpu {
      perCpuNanos = List.copyOf(perCpuNanos);
    }
  }

  /**
   * @param limit bytes, 0 for no limit
   * @param maxUsage peak usage, -1 when the kernel keeps none
   * @param failcnt times the limit was hit (v1 failcnt, v2 memory.events max)
   * @param activeFile file pages on the active LRU list (cAdvisor's total_active_file)
   * @param workingSet usage minus inactive file pages, as cAdvisor and the kubelet's eviction count it
   * @param pageFaults faults of the cgroup and its descendants
   * @param ownPageFaults faults of the cgroup's own processes only, -1 where the kernel reports only the hierarchy (v2)
   * @param oomKills processes killed by the OOM killer in the cgroup
   */
  public record Memory(long usage, long limit, long maxUsage, long failcnt, long cache, long rss, long swap,
      long kernel, long mappedFile, long activeFile, long inactiveFile, long workingSet, long pageFaults, long majorPageFaults,
      long ownPageFaults, long ownMajorPageFaults, long oomKills) {}

  /**
   * Counters per operation (Read, Write, Sync, Async, Discard, Total; v2 has Read, Write, Discard
   * and the Total we add). The time maps are empty where the kernel keeps no such stat (only the
   * CFQ scheduler did; blk-throttle and v2 io.stat do not).
   */
  public record BlockDevice(int major, int minor, Map<String, Long> bytes, Map<String, Long> ios,
      Map<String, Long> queued, Map<String, Long> serviceNanos, Map<String, Long> waitNanos) {
    public BlockDevice {
      bytes = Map.copyOf(bytes);
      ios = Map.copyOf(ios);
      queued = Map.copyOf(queued);
      serviceNanos = Map.copyOf(serviceNanos);
      waitNanos = Map.copyOf(waitNanos);
    }
  }

  /** @param limit pids.max, 0 for "max" (no limit) */
  public record Pids(long current, long limit) {}

  /**
   * @param pageSize as the kernel names it in file names ("2MB", "1GB")
   * @param maxUsage peak usage, -1 on v2 which keeps none
   * @param limit bytes, 0 for no limit
   */
  public record Hugetlb(String pageSize, long usage, long maxUsage, long limit, long failcnt) {}
}
