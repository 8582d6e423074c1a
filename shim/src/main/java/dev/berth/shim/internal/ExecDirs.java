package dev.berth.shim.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One directory per exec under the persist dir, named {@code <container id>.exec-<exec id>}: the
 * dot keeps it from ever looking like a container's directory (ids hold no dot), and the name
 * alone says which container and which conmon ({@code -u <exec id>}) it belongs to, so that a
 * daemon that crashed mid-exec can find and end both after its restart.
 */
public final class ExecDirs {
  private static final Logger log = LoggerFactory.getLogger(ExecDirs.class);
  private static final String MARK = ".exec-";
  private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][A-Za-z0-9_-]*)\\.exec-([A-Za-z0-9]+)");
  /** The names {@code Files.createTempDirectory} gave exec dirs before: no exec id to find the conmon by. */
  private static final Pattern OLD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*-exec[0-9]+");
  private static final Duration CONMON_EXIT_WAIT = Duration.ofSeconds(5);

  private final Path persistDir;
  private final Path socketDir;

  public ExecDirs(Path persistDir, Path socketDir) {
    this.persistDir = persistDir;
    this.socketDir = socketDir;
  }

  /** Makes the exec's directory (mode 0700: the process spec holds the container's environment). */
  public Path create(String containerId, String execId) throws IOException {
    return Files.createDirectory(persistDir.resolve(ShimPaths.checkId(containerId) + MARK + checkExecId(execId)),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /** {@code <socketDir>/<exec id>}: the link conmon makes to the exec's bundle for its attach socket. */
  public Path socketLink(String execId) {
    return socketDir.resolve(checkExecId(execId));
  }

  /** Ends the conmon of every exec of {@code containerId} and removes their directories. */
  public void releaseAll(String containerId) {
    for (Path dir : list()) {
      Matcher name = NAME.matcher(dir.getFileName().toString());
      if (name.matches() && name.group(1).equals(containerId)) {
        release(dir);
      }
    }
  }

  /**
   * Ends every exec conmon and removes every exec directory: after a daemon restart no client
   * is connected to any of them any more (the streams went with the old daemon) and nobody waits
   * for an ExecSync answer, so each is an orphan. Returns how many there were.
   */
  public int releaseEvery() {
    List<Path> dirs = list();
    dirs.forEach(this::release);
    return dirs.size();
  }

  /**
   * Kills the exec's conmon and what it runs (the exec'd process is conmon's child: conmon is
   * its subreaper), waits for conmon to be gone so it writes nothing more, then removes the
   * directory and the socket link. The conmon is identified by its {@code -u}, never by a pid
   * alone, which may have been reused.
   */
  public void release(Path dir) {
    Matcher name = NAME.matcher(dir.getFileName().toString());
    if (name.matches()) {
      String execId = name.group(2);
      ProcFs.readPid(dir.resolve("conmon.pid"))
          .filter(pid -> ProcFs.isConmonFor(pid, execId))
          .flatMap(ProcessHandle::of)
          .ifPresent(ExecDirs::killAndAwait);
      try {
        Path link = socketLink(execId);
        if (Files.isSymbolicLink(link)) {
          Files.delete(link);
        }
      } catch (IOException e) {
        log.warn("removing exec socket link of {}: {}", dir, e.toString());
      }
    }
    deleteTree(dir);
  }

  private static void killAndAwait(ProcessHandle conmon) {
    conmon.descendants().forEach(ProcessHandle::destroyForcibly);
    conmon.destroyForcibly();
    try {
      conmon.onExit().get(CONMON_EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("exec conmon {} did not exit after SIGKILL: {}", conmon.pid(), e.toString());
    }
  }

  private List<Path> list() {
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(persistDir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if ((NAME.matcher(name).matches() || OLD_NAME.matcher(name).matches())
            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          dirs.add(entry);
        }
      }
    } catch (IOException e) {
      log.warn("listing exec dirs in {}: {}", persistDir, e.toString());
    }
    return dirs;
  }

  private static String checkExecId(String execId) {
    if (!execId.matches("[A-Za-z0-9]+")) {
      throw new IllegalArgumentException("invalid exec id: " + execId);
    }
    return execId;
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      log.warn("removing exec dir {}: {}", dir, e.toString());
    }
  }
}
