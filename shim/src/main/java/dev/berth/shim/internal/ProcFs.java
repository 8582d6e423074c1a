package dev.berth.shim.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What /proc says about a process, read without spawning anything. */
public final class ProcFs {
  private ProcFs() {
  }

  public static Optional<Long> readPid(Path pidFile) {
    try {
      String text = Files.readString(pidFile).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether {@code pid} is a live conmon serving {@code id}. A zombie counts as dead (an init
   * that does not reap leaves exited conmons as zombies), and the command line must name the
   * id, so a recycled pid is not mistaken for the shim.
   */
  public static boolean isConmonFor(long pid, String id) {
    return stat(pid).filter(stat -> stat.isLive() && stat.command().equals("conmon")).isPresent()
        && namesAfter(pid, "-u", id);
  }

  /** What /proc/PID/stat says of a process: its command name, state and start time. */
  public record Stat(String command, char state, long startTicks) {
    /** A zombie or a dead process has ended, whatever its parent has not yet read. */
    public boolean isLive() {
      return state != 'Z' && state != 'X';
    }
  }

  /** The stat of {@code pid}, or empty when there is no such process (or it cannot be read). */
  public static Optional<Stat> stat(long pid) {
    if (pid <= 0) {
      return Optional.empty();
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int open = stat.indexOf('(');
      int close = stat.lastIndexOf(')');
      if (open < 0 || close < open || close + 2 >= stat.length()) {
        return Optional.empty();
      }
      // After the name: state is field 3 of proc(5), starttime field 22.
      String[] fields = stat.substring(close + 2).split(" ");
      if (fields.length < 20) {
        return Optional.empty();
      }
      return Optional.of(new Stat(stat.substring(open + 1, close), fields[0].charAt(0), Long.parseLong(fields[19])));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Whether the command line of {@code pid} has {@code value} right after {@code flag}. */
  public static boolean namesAfter(long pid, String flag, String value) {
    try {
      List<String> argv = argv(pid);
      int at = argv.indexOf(flag);
      return at >= 0 && at + 1 < argv.size() && argv.get(at + 1).equals(value);
    } catch (IOException e) {
      return false;
    }
  }

  private static List<String> argv(long pid) throws IOException {
    return List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
        StandardCharsets.UTF_8).split("\0"));
  }

  /**
   * The pids whose command line has {@code value} right after {@code flag}: with a path of this
   * daemon's own as the value, the processes working on one of its objects, however they began.
   */
  public static List<Long> naming(String flag, String value) {
    return pidsWhere(pid -> namesAfter(pid, flag, value));
  }

  /**
   * When {@code pid} started (field 22 of its stat, in clock ticks since boot); empty when there is
   * no such process. With the pid it names one process for good: a recycled pid starts later.
   */
  public static java.util.OptionalLong startTime(long pid) {
    return stat(pid).map(stat -> java.util.OptionalLong.of(stat.startTicks())).orElse(java.util.OptionalLong.empty());
  }

  /**
   * Whether the process {@code pid} that started at {@code startTime} ({@link #startTime}) still
   * runs: a zombie counts as ended, as does a recycled pid.
   */
  public static boolean isRunning(long pid, long startTime) {
    return stat(pid).filter(stat -> stat.isLive() && stat.startTicks() == startTime).isPresent();
  }

  /**
   * The pids of conmon wrappers ({@code sh -c ... conmon-wrapper FIFO...}: attached execs, see
   * {@link ExecAttachLaunch}, and every conmon of a Berth before conmon was spawned directly)
   * whose FIFOs are in {@code fifoDir}: a launch a killed daemon left with its wrapper blocked for
   * good on opening a FIFO nobody will open again. Matched on
   * the command line, which names this daemon's own FIFO path, never by pid alone.
   */
  public static List<Long> wrappersOf(Path fifoDir) {
    return pidsWhere(pid -> {
      try {
        List<String> argv = argv(pid);
        return argv.size() > 4 && argv.get(3).equals("conmon-wrapper")
            && fifoDir.equals(Path.of(argv.get(4)).getParent());
      } catch (IOException | RuntimeException gone) {
        // Exited while listed, or not ours to read: not a wrapper of this launch.
        return false;
      }
    });
  }

  /** The pids of /proc that {@code test} accepts; a process that ends while listed is left out by it. */
  private static List<Long> pidsWhere(java.util.function.LongPredicate test) {
    List<Long> found = new java.util.ArrayList<>();
    try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : (Iterable<Path>) procs::iterator) {
        String name = proc.getFileName().toString();
        if (!name.isEmpty() && Character.isDigit(name.charAt(0)) && test.test(Long.parseLong(name))) {
          found.add(Long.parseLong(name));
        }
      }
    } catch (IOException e) {
      return found;
    }
    return found;
  }
}
