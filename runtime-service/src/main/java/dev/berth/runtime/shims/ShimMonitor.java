package dev.berth.runtime.shims;

import dev.berth.shim.ConmonShim;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices shims that die. conmon reports a container's exit, so a conmon killed (OOM killer, a
 * stray kill -9) would leave its container RUNNING forever and its pod READY. Every period this
 * checks the conmon of each object its owners name (live containers, ready pods with an infra;
 * for an infra run without a conmon, the infra itself) through /proc (a zombie counts as dead)
 * and hands the dead ones back to their owner. No CRI call is needed for a death to be seen.
 */
public final class ShimMonitor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ShimMonitor.class);

  private final ConmonShim shim;
  private final List<ShimOwner> owners;
  private final ScheduledExecutorService timer;

  private ShimMonitor(ConmonShim shim, List<ShimOwner> owners) {
    this.shim = shim;
    this.owners = List.copyOf(owners);
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("shim-monitor")
        .factory());
  }

  public static ShimMonitor start(ConmonShim shim, List<ShimOwner> owners, Duration period) {
    ShimMonitor monitor = new ShimMonitor(shim, owners);
    monitor.timer.scheduleWithFixedDelay(monitor::checkQuietly, period.toMillis(), period.toMillis(),
        TimeUnit.MILLISECONDS);
    return monitor;
  }

  /** One pass over every object that should have a live shim. */
  void check() {
    for (ShimOwner owner : owners) {
      for (String id : owner.idsWithShims()) {
        if (!owner.alive(shim, id)) {
          settle(owner.kind() + " " + id, () -> owner.onShimDeath(id));
        }
      }
    }
  }

  /** One object that cannot be settled must not stop the watch over the others; it is tried again. */
  private static void settle(String what, Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.warn("shim monitor: {}: {}", what, e.getMessage());
    }
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      log.warn("shim monitor: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
