package dev.berth.runtime.shims;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import dev.berth.shim.ConmonShim;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices shims that die. conmon reports a container's exit, so a conmon killed (OOM killer, a
 * stray kill -9) would leave its container RUNNING forever and its pod READY. Every period this
 * checks the conmon of each live container and ready sandbox through /proc (a zombie counts as
 * dead) and hands the dead ones to their manager. No CRI call is needed for a death to be seen.
 */
public final class ShimMonitor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ShimMonitor.class);

  private final ConmonShim shim;
  private final ContainerManager containers;
  private final SandboxManager sandboxes;
  private final ScheduledExecutorService timer;

  private ShimMonitor(ConmonShim shim, ContainerManager containers, SandboxManager sandboxes) {
    this.shim = shim;
    this.containers = containers;
    this.sandboxes = sandboxes;
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("shim-monitor")
        .factory());
  }

  public static ShimMonitor start(ConmonShim shim, ContainerManager containers, SandboxManager sandboxes,
      Duration period) {
    ShimMonitor monitor = new ShimMonitor(shim, containers, sandboxes);
    monitor.timer.scheduleWithFixedDelay(monitor::checkQuietly, period.toMillis(), period.toMillis(),
        TimeUnit.MILLISECONDS);
    return monitor;
  }

  /** One pass over every live container and ready sandbox. */
  void check() {
    for (Container container : containers.list()) {
      if (container.isLive() && !shim.isShimAlive(container.id())) {
        settle("container " + container.id(), () -> containers.onShimDeath(container.id()));
      }
    }
    for (Sandbox sandbox : sandboxes.list()) {
      // A pod whose namespaces are pinned files has no shim to die.
      if (sandbox.state() == SandboxState.READY && sandboxes.namespaces(sandbox).hasShim()
          && !shim.isShimAlive(sandbox.id())) {
        settle("pod sandbox " + sandbox.id(), () -> sandboxes.onInfraShimDeath(sandbox.id()));
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
