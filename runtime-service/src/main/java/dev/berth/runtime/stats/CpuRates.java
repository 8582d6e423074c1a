package dev.berth.runtime.stats;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * usage_nano_cores needs two readings: the previous cumulative usage per cgroup is kept, and a
 * rate is given once a later reading arrives, as containerd does.
 */
public final class CpuRates {

  private record Reading(long timestampNanos, long usageNanos) {}

  private final ConcurrentHashMap<String, Reading> last = new ConcurrentHashMap<>();

  /** Nanoseconds of CPU per second since the previous reading of {@code key}, or -1 for the first. */
  public long nanoCores(String key, long timestampNanos, long usageNanos) {
    Reading previous = last.get(key);
    if (previous == null || timestampNanos > previous.timestampNanos()) {
      last.put(key, new Reading(timestampNanos, usageNanos));
    }
    if (previous == null || timestampNanos <= previous.timestampNanos() || usageNanos < previous.usageNanos()) {
      return -1;
    }
    double elapsed = timestampNanos - previous.timestampNanos();
    return (long) ((usageNanos - previous.usageNanos()) / elapsed * 1e9);
  }

  public void retainOnly(Set<String> keys) {
    last.keySet().retainAll(keys);
  }
}
