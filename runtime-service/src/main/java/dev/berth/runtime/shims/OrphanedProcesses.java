package dev.berth.runtime.shims;

import dev.berth.shim.OciRuntime;
import dev.berth.shim.RuntimeState;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * What is left of a container (or a pod's infra) whose conmon died: processes nobody waits for.
 * They are killed through the OCI runtime, every process in the container's cgroup, as containerd
 * does when a shim dies; the init's exit status can still be read while it is an unreaped zombie.
 */
public final class OrphanedProcesses {

  private static final int SIGKILL = 9;
  private static final Duration STOP_WAIT = Duration.ofSeconds(10);
  /** exit_code in /proc/<pid>/stat (since Linux 3.5), counted from the state field (field 3). */
  private static final int EXIT_CODE_FIELD = 52 - 3;

  private OrphanedProcesses() {}

  /** SIGKILLs every process of the container and waits until the runtime reports it stopped. */
  public static void kill(OciRuntime shim, String id) throws ShimException {
    if (!running(shim, id)) {
      return;
    }
    shim.kill(id, SIGKILL, true);
    long deadline = System.nanoTime() + STOP_WAIT.toNanos();
    while (running(shim, id)) {
      if (System.nanoTime() > deadline) {
        throw new ShimException("the processes of " + id + " did not stop " + STOP_WAIT.toSeconds()
            + " s after SIGKILL");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ShimException("interrupted while killing the processes of " + id, e);
      }
    }
  }

  private static boolean running(OciRuntime shim, String id) throws ShimException {
    return shim.state(id).map(s -> s.status() != RuntimeState.Status.STOPPED).orElse(false);
  }

  /**
   * The exit code (128 + signal for a killed process) of {@code pid} if it is a zombie; empty if
   * it was reaped (by an init that reaps orphans) or is not a zombie.
   */
  public static OptionalInt zombieExitCode(long pid) {
    if (pid <= 0) {
      return OptionalInt.empty();
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int close = stat.lastIndexOf(')');
      String[] fields = stat.substring(close + 2).trim().split(" ");
      if (close < 0 || fields.length <= EXIT_CODE_FIELD || !fields[0].equals("Z")) {
        return OptionalInt.empty();
      }
      int status = Integer.parseInt(fields[EXIT_CODE_FIELD]);
      int signal = status & 0x7f;
      return OptionalInt.of(signal != 0 ? 128 + signal : (status >> 8) & 0xff);
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty();
    }
  }
}
