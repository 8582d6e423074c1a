package dev.berth.shim;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Containers run without a shim, in one runtime call ({@code runc run --detach}): for a process
 * that needs no log, stdio, exec or attach and whose exit code nobody reads, such as a pod's
 * infra. That is one runtime process instead of conmon's launch, {@code runc create} and {@code
 * runc start}, and no conmon left running beside it. Nothing waits for such a container: whether
 * it still runs is read from /proc. It is signalled, inspected and deleted through
 * {@link OciRuntime} like any other container.
 */
public interface DetachedRuntime {

  /**
   * Creates and starts the container from its bundle; returns its init's pid once it runs. A
   * failure leaves neither a runtime container nor shim files behind.
   */
  long runDetached(String id, Path bundle, String runtimeHandler, Duration timeout) throws ShimException;

  /** Whether {@code id} was run by {@link #runDetached} (and not deleted since). */
  boolean isDetached(String id);

  /**
   * Whether the process {@link #runDetached} started for {@code id} still runs: the same process
   * (a recycled pid is not it), not a zombie. Reads /proc only, so it may be asked often.
   */
  boolean isDetachedRunning(String id);
}
