package dev.berth.runtime.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the daemon's process holds, read from procfs: its kernel threads (the JVM's platform
 * threads; virtual threads are not among them) and its open file descriptors.
 */
record DaemonResources(int threads, int fds) {

  static DaemonResources of(long pid) throws IOException {
    int threads = -1;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.substring("Threads:".length()).trim());
      }
    }
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return new DaemonResources(threads, (int) fds.count());
    }
  }

  boolean within(DaemonResources baseline, int threadMargin, int fdMargin) {
    return threads <= baseline.threads + threadMargin && fds <= baseline.fds + fdMargin;
  }

  /** The daemon's platform threads and what its fds point to, for a failure message. */
  static String describe(long pid) {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      fds.forEach(fd -> {
        try {
          out.append(fd.getFileName()).append(" -> ").append(Files.readSymbolicLink(fd)).append('\n');
        } catch (IOException gone) {
          // closed while listing
        }
      });
    } catch (IOException e) {
      out.append("fds unreadable: ").append(e).append('\n');
    }
    try {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
      String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(30, TimeUnit.SECONDS);
      out.append(dump);
    } catch (IOException e) {
      out.append("no thread dump: ").append(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return threads + " threads, " + fds + " fds";
  }
}
