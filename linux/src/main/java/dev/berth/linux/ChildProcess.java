package dev.berth.linux;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A process started by {@link PosixSpawn#start}: its pid, and its exit code with what it wrote
 * once it has ended. One shared thread ({@link ChildWaiter}) watches every such child through its
 * pidfd, feeds its stdin, drains its stdout and stderr and reaps it; the caller only waits on a
 * future, so a virtual thread waiting here holds no carrier and no thread exists per child.
 */
public final class ChildProcess {

  /** How the process ended and what it wrote; the output is empty for a stream that was no pipe. */
  public record Exit(int exitCode, byte[] stdout, byte[] stderr) {
    public String stdoutText() {
      return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
    }

    public String stderrText() {
      return new String(stderr, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private final long pid;
  private final CompletableFuture<Exit> exit = new CompletableFuture<>();
  /** The pidfd until the waiter has reaped the child (then -1); guarded by this, so that kill never signals a reused fd. */
  private int pidfd;

  ChildProcess(long pid, int pidfd) {
    this.pid = pid;
    this.pidfd = pidfd;
  }

  public long pid() {
    return pid;
  }

  /** Completes once the process is reaped and its output read to the end (or for a short while after its exit). */
  public CompletableFuture<Exit> onExit() {
    return exit;
  }

  /** Waits up to {@code timeout}; empty when the process has not ended by then. */
  public Optional<Exit> await(Duration timeout) throws InterruptedException {
    try {
      return Optional.of(exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      throw new IllegalStateException("watching process " + pid, e.getCause());
    }
  }

  /** SIGKILL to the process itself (through its pidfd, never a pid another process may have taken); nothing once reaped. */
  public synchronized void kill() {
    if (pidfd >= 0) {
      ChildWaiter.sendKill(pidfd);
    }
  }

  synchronized int pidfd() {
    return pidfd;
  }

  /** Called by the waiter once it has reaped the child: the pidfd is closed and never signalled again. */
  synchronized void reaped() {
    Syscalls.close(pidfd);
    pidfd = -1;
  }

  void complete(Exit result) {
    exit.complete(result);
  }

  void fail(Throwable cause) {
    exit.completeExceptionally(cause);
  }
}
