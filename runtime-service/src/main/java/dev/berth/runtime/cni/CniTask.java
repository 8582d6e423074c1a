package dev.berth.runtime.cni;

import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A CNI step (a network's ADD, or lo's) run on a virtual thread of its own, so that it overlaps
 * the rest of a pod start. Whoever awaits it gets its result, or its failure thrown as the step
 * threw it. Waits that come before deleting the namespace are not interruptible: the namespace
 * must never go under a plugin that is still running (plugins are bounded by their timeout).
 */
public final class CniTask<T> {

  /** The step itself. */
  @FunctionalInterface
  public interface Step<T> {
    T run() throws CniException;
  }

  private final String what;
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private volatile long nanos;

  private CniTask(String what) {
    this.what = what;
  }

  /**
   * Starts {@code step} on a new virtual thread named {@code threadName}; {@code what} ("CNI ADD
   * of ID") names it in errors.
   */
  public static <T> CniTask<T> start(String threadName, String what, Step<T> step) {
    CniTask<T> task = new CniTask<>(what);
    Thread.ofVirtual().name(threadName).start(() -> {
      long started = System.nanoTime();
      try {
        T value = step.run();
        task.nanos = System.nanoTime() - started;
        task.result.complete(value);
      } catch (Throwable e) {
        task.nanos = System.nanoTime() - started;
        task.result.completeExceptionally(e);
      }
    });
    return task;
  }

  /** Waits for the step, not interruptibly; its failure is thrown here. */
  public T await() throws CniException {
    try {
      return result.join();
    } catch (CompletionException e) {
      throw failure(e.getCause());
    }
  }

  /** Waits for the step; an interrupt ends the wait (not the step). */
  public T awaitInterruptibly() throws CniException, InterruptedIOException {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + what);
    } catch (ExecutionException e) {
      throw failure(e.getCause());
    }
  }

  /** Waits, not interruptibly, for the step to end, whatever its outcome. */
  public void awaitEnd() {
    result.exceptionally(e -> null).join();
  }

  /** How long the step took, once it has ended. */
  public long nanos() {
    return nanos;
  }

  /** The step's own exception: a CniException is returned to be thrown, anything else unchecked is thrown. */
  private CniException failure(Throwable cause) {
    return switch (cause) {
      case CniException cni -> cni;
      case RuntimeException runtime -> throw runtime;
      case Error error -> throw error;
      default -> new CniException(what + " failed: " + cause, cause);
    };
  }
}
