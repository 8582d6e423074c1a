package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes one cgroup directory and every cgroup below it in one hierarchy, children first.
 *
 * <p>rmdir answers EBUSY while a cgroup still has members. By the time Berth removes a
 * container's cgroup, runc delete --force has sent its processes SIGKILL, but on a loaded node
 * one can take longer to die than runc waits for it (runc retries its own rmdir for ~150 ms and
 * then exits 0 with the cgroup left behind), and a task the kernel has already reaped stays
 * counted until it has switched out for the last time. So a busy cgroup is tried again with
 * growing pauses for up to {@link #BUSY_WAIT}, and whatever its cgroup.procs still lists is sent
 * SIGKILL before each try: a process left in the cgroup of a container or pod being removed is
 * that container's or pod's and nobody else's. A cgroup still busy after that is an error that
 * names its members.
 */
final class CgroupTreeRemoval {

  private static final Logger log = LoggerFactory.getLogger(CgroupTreeRemoval.class);

  /** How long a busy cgroup is waited for; a SIGKILLed process that has not died by then is stuck in the kernel. */
  static final Duration BUSY_WAIT = Duration.ofSeconds(5);
  private static final Duration FIRST_PAUSE = Duration.ofMillis(5);
  private static final Duration LONGEST_PAUSE = Duration.ofMillis(200);

  /** What removal asks of the kernel; the host's by default, a script's in unit tests. */
  interface Kernel {
    /** rmdir(2) of one cgroup directory. */
    void rmdir(Path dir) throws IOException;

    /** The processes cgroup.procs lists in {@code dir} and below. */
    List<Long> members(Path dir) throws IOException;

    void kill(long pid);

    void pause(Duration pause) throws InterruptedException;

    long nanoTime();
  }

  static final Kernel HOST = new Kernel() {
    @Override
    public void rmdir(Path dir) throws IOException {
      Files.deleteIfExists(dir);
    }

    @Override
    public List<Long> members(Path dir) throws IOException {
      List<Long> pids = new ArrayList<>();
      for (Path cgroup : directoriesBelow(dir)) {
        String procs;
        try {
          procs = Files.readString(cgroup.resolve("cgroup.procs"), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException gone) {
          continue;
        }
        procs.lines().filter(line -> !line.isBlank()).map(line -> Long.parseLong(line.trim())).forEach(pids::add);
      }
      return pids;
    }

    @Override
    public void kill(long pid) {
      if (pid != ProcessHandle.current().pid()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }

    @Override
    public void pause(Duration pause) throws InterruptedException {
      Thread.sleep(pause);
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  };

  private final Kernel kernel;

  CgroupTreeRemoval(Kernel kernel) {
    this.kernel = kernel;
  }

  /** Removes {@code dir} and the cgroups below it; nothing to do when it does not exist. */
  void remove(Path dir) throws IOException {
    long deadline = kernel.nanoTime() + BUSY_WAIT.toNanos();
    Duration pause = FIRST_PAUSE;
    List<Long> ended = new ArrayList<>();
    while (true) {
      try {
        removeChildrenFirst(dir);
        if (!ended.isEmpty()) {
          log.info("cgroup {} still held processes {} when it was removed; they were killed",
              dir, ended.stream().distinct().toList());
        }
        return;
      } catch (FileSystemException e) {
        if (!busy(e)) {
          throw e;
        }
        List<Long> members = kernel.members(dir);
        if (kernel.nanoTime() - deadline >= 0) {
          throw new FileSystemException(e.getFile(), null, "Device or resource busy after " + BUSY_WAIT.toSeconds()
              + " s" + (members.isEmpty() ? " (no process listed in it)" : " (processes still in it: " + members + ")"));
        }
        members.forEach(kernel::kill);
        ended.addAll(members);
        try {
          kernel.pause(pause);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the processes of " + dir + " to end", interrupted);
        }
        pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
      }
    }
  }

  private void removeChildrenFirst(Path dir) throws IOException {
    for (Path cgroup : directoriesBelow(dir).reversed()) {
      kernel.rmdir(cgroup);
    }
  }

  /** {@code dir} and the directories below it, parents before children; empty when {@code dir} is gone. */
  static List<Path> directoriesBelow(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isDirectory).toList();
    } catch (java.io.UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) {
        return List.of(dir); // a child went while the walk listed it; rmdir says what is left
      }
      throw e.getCause();
    }
  }

  private static boolean busy(FileSystemException e) {
    return "Device or resource busy".equals(e.getReason());
  }
}
