package dev.berth.runtime.metrics;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * {@code jvm_gc_pause_seconds} (count and sum) per collector, read from the collector's MXBean at
 * each scrape, with Micrometer's {@code gc} and {@code action} tags.
 *
 * <p>In place of Micrometer's {@code JvmGcMetrics}, which listens for the JVM's notification after
 * every collection: the JVM then builds an open-MBean description of each one (names, pools,
 * usage before and after), and a pull makes ~40 young collections (50 MB through a 6 MB young
 * generation; jstat over 10 pulls: 432). Without the listener, PullImage p50 209 / 186 ms against
 * 230 / 210 (two alternating pairs of {@code bin/bench-compare --only-berth -- --workloads
 * image-pull --pulls 15}). What the listener alone gave is not served: the pause's cause and
 * maximum, and the allocated, promoted, live and maximum data sizes.
 */
final class GcPauseMeters {

  private GcPauseMeters() {
  }

  static void bindTo(MeterRegistry registry) {
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionTimer.builder("jvm.gc.pause", collector, c -> Math.max(0, c.getCollectionCount()),
              c -> Math.max(0, c.getCollectionTime()), TimeUnit.MILLISECONDS)
          .tag("gc", collector.getName())
          .tag("action", action(collector.getName(), collector.getMemoryPoolNames()))
          .description("Time spent in GC pause")
          .register(registry);
    }
  }

  /**
   * Micrometer's action: a young collector's pauses end minor collections, the others' major ones.
   * Young by its name (the serial and parallel collectors' and G1's young collector's, whose pools
   * include the old generation it promotes into), or by collecting no old generation at all.
   */
  static String action(String collector, String[] poolsCollected) {
    boolean young = collector.equals("Copy") || collector.equals("ParNew") || collector.contains("Scavenge")
        || collector.contains("Young") || collector.contains("Minor")
        || Arrays.stream(poolsCollected).noneMatch(pool -> pool.contains("Old") || pool.contains("Tenured"));
    return young ? "end of minor GC" : "end of major GC";
  }
}
