package dev.berth.runtime.server;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryNotificationInfo;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ceiling on the garbage the old generation may hold: once its use passes its live set (what
 * the last full collection kept) plus as much again, and at least {@link #FLOOR_BYTES} more, one
 * full collection runs and the ceiling is set again above what it kept.
 *
 * <p>Why: bin/berth gives the daemon a young generation of a few MiB, so the kubelet's polling
 * of a large node promotes what each relist has in flight, and the serial collector grows the old
 * generation rather than collect it while it may still grow: with 250 pods it held 118 MiB, 15 of
 * them live, a minute after the pods started (daemon RSS 233 MiB, 134 after one full collection).
 * {@link HeapReleaseInterceptor} collects after bursts of state-changing calls; polling never
 * ends, so it needs this ceiling instead. A full collection of the daemon's heap takes tens of
 * milliseconds; the floor keeps them to one every several seconds at the most.
 *
 * <p>The JVM checks the threshold when a collection ends and tells its listeners on its own
 * notification thread; the collection runs on a virtual thread, one at a time.
 */
final class OldGenerationCeiling {

  private static final Logger log = LoggerFactory.getLogger(OldGenerationCeiling.class);

  /** The least garbage allowed above the live set: a small live set must not mean constant collections. */
  static final long FLOOR_BYTES = 16L << 20;

  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private final MemoryPoolMXBean pool;
  private final long floorBytes;
  private final AtomicBoolean collecting = new AtomicBoolean();

  private OldGenerationCeiling(MemoryPoolMXBean pool, long floorBytes) {
    this.pool = pool;
    this.floorBytes = floorBytes;
  }

  /** The old generation's use at which to collect, given what the last full collection kept. */
  static long ceilingAbove(long liveBytes, long floorBytes) {
    if (liveBytes < 0 || floorBytes < 0) {
      throw new IllegalArgumentException("live " + liveBytes + " and floor " + floorBytes + " must not be negative");
    }
    return liveBytes + Math.max(liveBytes, floorBytes);
  }

  /** Watches this JVM's old generation, once per JVM (daemons started in one test JVM share it). */
  static void installOnce() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    Optional<MemoryPoolMXBean> oldGeneration = HeapReleaseInterceptor.oldGenerationPool()
        .filter(MemoryPoolMXBean::isUsageThresholdSupported);
    if (oldGeneration.isEmpty()) {
      log.info("no old generation with a usage threshold in this JVM's heap: no ceiling on its garbage");
      return;
    }
    watch(oldGeneration.get(), FLOOR_BYTES);
  }

  /** Sets the first ceiling on {@code pool} and collects each time its use passes one. */
  static OldGenerationCeiling watch(MemoryPoolMXBean pool, long floorBytes) {
    if (pool.getType() != MemoryType.HEAP) {
      throw new IllegalArgumentException(pool.getName() + " is not a heap pool");
    }
    OldGenerationCeiling ceiling = new OldGenerationCeiling(pool, floorBytes);
    ((NotificationEmitter) ManagementFactory.getMemoryMXBean()).addNotificationListener((notification, handback) -> {
      if (notification.getType().equals(MemoryNotificationInfo.MEMORY_THRESHOLD_EXCEEDED)
          && MemoryNotificationInfo.from((CompositeData) notification.getUserData()).getPoolName().equals(pool.getName())) {
        ceiling.collectOnce();
      }
    }, null, null);
    ceiling.rearm();
    return ceiling;
  }

  private void collectOnce() {
    if (!collecting.compareAndSet(false, true)) {
      return;
    }
    Thread.ofVirtual().name("old generation ceiling").start(() -> {
      try {
        long before = pool.getUsage().getUsed();
        System.gc();
        long kept = rearm();
        log.debug("full collection at the old generation's ceiling: {} -> {} KiB used", before >> 10, kept >> 10);
      } finally {
        collecting.set(false);
      }
    });
  }

  /** Sets the ceiling above what the last full collection kept (or above today's use before any); returns that. */
  private long rearm() {
    MemoryUsage afterLastFull = pool.getCollectionUsage();
    long live = afterLastFull != null && afterLastFull.getUsed() > 0 ? afterLastFull.getUsed() : pool.getUsage().getUsed();
    pool.setUsageThreshold(ceilingAbove(live, floorBytes));
    return live;
  }
}
