package dev.berth.runtime.recovery;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.model.Clock;
import dev.berth.shim.ConmonShim;
import dev.berth.shim.RuntimeState;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: a container recorded as created whose process was started anyway, because the daemon
 * died between {@code runc start} and saving the running record. Such a container is running
 * (or ran and exited) and must be reported so, not as created forever.
 *
 * <p>runc keeps {@code exec.fifo} in the container's state directory until {@code runc start}
 * opens it and deletes it; a created container that was only killed keeps it. So a stopped
 * container without the fifo was started, and the directory's change time (the fifo's removal)
 * is when.
 */
public final class StartedWhileDown {

  private static final Logger log = LoggerFactory.getLogger(StartedWhileDown.class);
  private static final String EXEC_FIFO = "exec.fifo";

  private final ConmonShim shim;

  public StartedWhileDown(ConmonShim shim) {
    this.shim = shim;
  }

  /** The container as it really is: a created record of a started process becomes running. */
  public Container reconcile(Container container) {
    if (container.state() != ContainerState.CREATED) {
      return container;
    }
    Optional<RuntimeState> state;
    try {
      state = shim.state(container.id());
    } catch (ShimException e) {
      log.warn("container {}: runtime state unknown: {}", container.id(), e.getMessage());
      return container;
    }
    // The container's own handler's state root: runc and crun each keep theirs.
    Path stateDir = shim.runtimeStateDir(container.id());
    boolean started = state.map(s -> switch (s.status()) {
      case RUNNING -> true;
      // Only a container restored from a checkpoint is frozen before its start: it waits for StartContainer.
      case PAUSED -> false;
      case STOPPED -> Files.isDirectory(stateDir) && !Files.exists(stateDir.resolve(EXEC_FIFO));
      default -> false;
    }).orElse(false);
    if (!started) {
      return container;
    }
    long startedAt = startTime(container, stateDir);
    log.warn("container {} was started while berth went down; recorded as running", container.id());
    return container.started(startedAt, container.pid());
  }

  /** When runc start removed the fifo, kept between the create and now whatever the clock says. */
  private static long startTime(Container container, Path stateDir) {
    long now = Clock.nowNanos();
    try {
      long changed = Clock.toNanos(((java.nio.file.attribute.FileTime) Files.getAttribute(stateDir, "unix:ctime"))
          .toInstant());
      return Math.min(now, Math.max(container.createdAtNanos(), changed));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return now;
    }
  }
}
