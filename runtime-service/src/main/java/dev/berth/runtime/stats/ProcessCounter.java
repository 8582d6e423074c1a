package dev.berth.runtime.stats;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Counts the processes of a cgroup from its cgroup.procs, and their open descriptors, sockets and
 * thread states from /proc, as cAdvisor does for its process metrics: the cgroup's own processes,
 * not those of the cgroups below it (a pod's series count what runs in the pod cgroup itself,
 * its containers' series the rest). Only the metrics endpoint asks for this: it costs a few /proc
 * reads per process.
 */
public final class ProcessCounter {

  private final Path proc;

  public ProcessCounter(Path proc) {
    this.proc = proc;
  }

  /** Empty when the cgroup is gone. */
  public Optional<ProcessStats> count(Path cgroupDir) {
    long[] totals = new long[7];
    try {
      countProcesses(cgroupDir, totals);
    } catch (IOException gone) {
      return Optional.empty();
    }
    return Optional.of(new ProcessStats(totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6]));
  }

  private void countProcesses(Path dir, long[] totals) throws IOException {
    for (String line : Files.readString(dir.resolve("cgroup.procs"), StandardCharsets.ISO_8859_1).split("\n")) {
      if (!line.isEmpty()) {
        totals[0]++;
        countProcess(proc.resolve(line), totals);
      }
    }
  }

  private static void countProcess(Path process, long[] totals) {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
      for (Path fd : fds) {
        totals[1]++;
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
            totals[2]++;
          }
        } catch (IOException closed) {
          // Closed since the listing.
        }
      }
    } catch (IOException exited) {
      return;
    }
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(process.resolve("task"))) {
      for (Path task : tasks) {
        switch (state(task.resolve("stat"))) {
          case 'R' -> totals[3]++;
          case 'S', 'I' -> totals[4]++;
          case 'T', 't' -> totals[5]++;
          case 'D' -> totals[6]++;
          default -> { } // zombies, dead, or gone since the listing
        }
      }
    } catch (IOException exited) {
      // The process exited while we counted.
    }
  }

  /** The state letter of /proc/PID/task/TID/stat: the field after the command, which is in parentheses and may hold any byte. */
  static char state(Path stat) {
    try (InputStream in = Files.newInputStream(stat)) {
      byte[] buffer = in.readNBytes(512);
      for (int i = buffer.length - 1; i > 0; i--) {
        if (buffer[i] == ')') {
          return i + 2 < buffer.length ? (char) buffer[i + 2] : '?';
        }
      }
    } catch (IOException gone) {
      // Exited since the listing.
    }
    return '?';
  }
}
