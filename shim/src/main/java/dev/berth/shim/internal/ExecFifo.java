package dev.berth.shim.internal;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Starts a container that runc created the way {@code runc start} does, without a runc process.
 * runc's create leaves the container's init blocked opening {@code exec.fifo} in the container's
 * state directory for writing. Opening it for reading lets init write one byte and exec the
 * container's process, which closes init's end; the FIFO's absence is what makes runc report the
 * container as running rather than created. runc start does these same steps (and runs poststart
 * hooks, which Berth's specs have none of), but as a Go process start it costs ~23 ms of a core
 * per container on a small node; this costs a fraction of a millisecond.
 *
 * <p>Only for runc: crun, for one, uses a FIFO of the same name the other way round.
 */
public final class ExecFifo {

  /** The FIFO's name in runc's directory for the container ({@code <runc root>/<id>}). */
  public static final String NAME = "exec.fifo";
  /** How long one wait blocks its thread in the kernel before init's liveness is checked again. */
  private static final int WAIT_MILLIS = 10;

  private ExecFifo() {
  }

  /**
   * Lets the container's init exec its process and waits until it did.
   *
   * @param fifo the container's {@value #NAME}
   * @param initPid the pid of the container's init (runc init, until it execs)
   * @return false when there is no FIFO: the container was started already, or its runtime keeps none
   * @throws IOException when init is gone without having written (the container's process exited
   *     before it was started), or did not exec within {@code timeout}
   */
  public static boolean release(Path fifo, long initPid, Duration timeout) throws IOException {
    int fd;
    try {
      fd = Libc.openFifoForReading(fifo);
    } catch (IOException e) {
      if (!Files.exists(fifo)) {
        return false;
      }
      throw e;
    }
    try (Arena arena = Arena.ofConfined()) {
      // Removed before init is let go, not after as runc start does: a daemon killed at any point
      // from here leaves runc reporting what is true (running, or stopped when init found no
      // reader left for its byte), never "created" for a process that runs.
      try {
        Files.delete(fifo);
      } catch (NoSuchFileException e) {
        // Gone already: only a start of the same container removes it, and init is let go either way.
      }
      MemorySegment buffer = arena.allocate(16);
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      long deadline = System.nanoTime() + timeout.toNanos();
      int written = 0;
      while (true) {
        // No event until init has opened its end: before that a read would see end of file.
        int events = Libc.poll(fd, WAIT_MILLIS);
        if (events != 0) {
          int n = Libc.read(fd, buffer, state);
          if (n > 0) {
            written += n;
            continue;
          }
          break; // init's end closed: it exec'd the container's process (or died after writing)
        }
        if (ProcFs.stat(initPid).filter(ProcFs.Stat::isLive).isEmpty()) {
          // Gone: it may still have written between the last wait and now.
          if (Libc.poll(fd, 0) != 0 && Libc.read(fd, buffer, state) > 0) {
            written++;
          }
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the container's init (pid " + initPid + ") did not take the start signal from "
              + fifo + " within " + timeout.toSeconds() + " s");
        }
      }
      if (written == 0) {
        throw new IOException("the container's process exited before it was started (init pid " + initPid + ")");
      }
    } finally {
      Syscalls.close(fd);
    }
    return true;
  }
}
