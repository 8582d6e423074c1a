package dev.berth.runtime.cgroup;

/**
 * The limits a cgroup is set to, as cAdvisor's container spec reports them: read from the cgroup
 * files rather than from what was asked, so they show what the kernel enforces. 0 means "not
 * set" (no quota, no reservation, no swap limit).
 *
 * @param cpuShares v1 cpu.shares; on v2 cpu.weight converted back to shares as runc converts shares to it
 * @param cpuQuotaMicros CFS quota per period, 0 for none
 * @param cpuPeriodMicros CFS period
 * @param memoryReservation v1 memory.soft_limit_in_bytes, v2 memory.low
 * @param memorySwapLimit v1 memory.memsw.limit_in_bytes (memory plus swap), v2 memory.swap.max
 */
public record CgroupSpec(long cpuShares, long cpuQuotaMicros, long cpuPeriodMicros, long memoryReservation,
    long memorySwapLimit) {

  /** runc writes cpu.weight = 1 + ((shares - 2) * 9999) / 262142; this is its inverse. */
  static long sharesFromWeight(long weight) {
    return weight <= 0 ? 0 : 2 + ((weight - 1) * 262142) / 9999;
  }
}
