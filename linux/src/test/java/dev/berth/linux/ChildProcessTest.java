package dev.berth.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PosixSpawn#start} with real short processes (/bin/sh, cat; no root): what goes in and
 * comes out of the pipes, exit codes, failures, kills, many children at once, and that nothing
 * is left behind: no zombie, no fd of ours in a child, no fd of the pipes in this JVM.
 */
class ChildProcessTest {

  private static final Duration LONG_ENOUGH = Duration.ofSeconds(30);
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");

  @TempDir
  Path dir;

  private Set<String> fdsBefore;

  @BeforeEach
  void noteOpenFds() throws IOException {
    fdsBefore = openFds();
  }

  @AfterEach
  void nothingLeftBehind() throws IOException {
    assertEquals(Set.of(), zombieChildren(), "zombies of this JVM");
    Set<String> added = new TreeSet<>(openFds());
    added.removeAll(fdsBefore);
    // The waiter's wake pipe (both ends) is opened once, on the first start, and kept.
    assertTrue(added.size() <= 2, "pipes left open in this JVM: " + added);
  }

  private SpawnRequest shell(String script) {
    return new SpawnRequest(List.of("/bin/sh", "-c", script), ENV, dir, List.of());
  }

  private static ChildProcess.Exit finish(ChildProcess child) throws InterruptedException {
    return child.await(LONG_ENOUGH).orElseThrow(() -> new AssertionError("process " + child.pid() + " never ended"));
  }

  @Test
  void stdinReachesTheChildAndItsStdoutComesBack() throws Exception {
    ChildProcess.Exit exit = finish(PosixSpawn.start(
        new SpawnRequest(List.of("cat"), ENV, dir, List.of()), "{\"cniVersion\":\"1.0.0\"}".getBytes(), true));

    assertEquals(0, exit.exitCode());
    assertEquals("{\"cniVersion\":\"1.0.0\"}", exit.stdoutText());
    assertEquals("", exit.stderrText());
  }

  @Test
  void theExitCodeAndStderrAreKeptApartFromStdout() throws Exception {
    ChildProcess.Exit exit = finish(PosixSpawn.start(shell("echo out; echo 'level=error msg=boom' >&2; exit 7"),
        null, true));

    assertEquals(7, exit.exitCode());
    assertEquals("out\n", exit.stdoutText());
    assertEquals("level=error msg=boom\n", exit.stderrText());
  }

  @Test
  void withoutStdinBytesTheChildReadsAnEmptyStdin() throws Exception {
    ChildProcess.Exit exit = finish(PosixSpawn.start(new SpawnRequest(List.of("wc", "-c"), ENV, dir, List.of()), null,
        true));

    assertEquals(0, exit.exitCode());
    assertEquals("0", exit.stdoutText().strip());
  }

  @Test
  void aMissingProgramIsNamedAndNothingIsLeftOpen() {
    SpawnRequest request = new SpawnRequest(List.of(dir.resolve("no-bridge").toString()), ENV, dir, List.of());

    IOException e = assertThrows(IOException.class, () -> PosixSpawn.start(request, "{}".getBytes(), true));

    assertEquals("cannot start " + dir.resolve("no-bridge") + ": No such file or directory (errno 2)", e.getMessage());
  }

  @Test
  void aKilledChildEndsWithSignalNineAndIsReaped() throws Exception {
    ChildProcess child = PosixSpawn.start(shell("exec sleep 60"), null, true);

    assertTrue(child.await(Duration.ofMillis(100)).isEmpty(), "sleep 60 ended by itself");
    child.kill();
    ChildProcess.Exit exit = finish(child);

    assertEquals(128 + 9, exit.exitCode());
    assertFalse(Files.exists(Path.of("/proc/" + child.pid())), "killed and reaped");
    child.kill(); // after the reap: signals nothing, fails nothing
  }

  @Test
  void aMegabyteEachWayPassesWithoutBlockingEitherSide() throws Exception {
    byte[] input = new byte[1 << 20];
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) ('a' + i % 26);
    }
    ChildProcess.Exit exit = finish(PosixSpawn.start(shell("cat; head -c 1048576 /dev/zero >&2"), input, true));

    assertEquals(0, exit.exitCode());
    assertArrayEquals(input, exit.stdout());
    assertEquals(1 << 20, exit.stderr().length);
  }

  @Test
  void aChildThatNeverReadsItsStdinStillEnds() throws Exception {
    ChildProcess.Exit exit = finish(PosixSpawn.start(shell("exit 3"), new byte[1 << 20], true));

    assertEquals(3, exit.exitCode());
  }

  @Test
  void aGrandchildHoldingTheOutputDoesNotHoldTheExit() throws Exception {
    ChildProcess.Exit exit = finish(PosixSpawn.start(shell("sleep 60 & echo $!; exit 0"), null, true));
    long grandchild = Long.parseLong(exit.stdoutText().strip());
    ProcessHandle.of(grandchild).ifPresent(ProcessHandle::destroyForcibly);

    assertEquals(0, exit.exitCode());
  }

  @Test
  void onlyTheThreeStandardFdsReachTheChild() throws Exception {
    // ls lists 0-2 and the fd of the directory it reads (3); nothing of this JVM's, no pipe's other end.
    ChildProcess.Exit exit = finish(PosixSpawn.start(
        new SpawnRequest(List.of("ls", "/proc/self/fd"), ENV, dir, List.of()), new byte[0], true));

    assertEquals(List.of("0", "1", "2", "3"), exit.stdoutText().lines().toList());
  }

  @Test
  void theRequestsOwnFileActionsReplaceTheStandardFds() throws Exception {
    Path errors = dir.resolve("errors");
    SpawnRequest request = new SpawnRequest(List.of("/bin/sh", "-c", "echo into-the-file >&2; exit 1"), ENV, dir,
        List.of(new SpawnRequest.Open(0, Path.of("/dev/null"), PosixSpawn.O_RDONLY, 0),
            new SpawnRequest.Open(1, Path.of("/dev/null"), PosixSpawn.O_WRONLY, 0),
            new SpawnRequest.Open(2, errors, PosixSpawn.O_WRONLY | PosixSpawn.O_CREAT, 0600)));

    ChildProcess.Exit exit = finish(PosixSpawn.start(request, null, false));

    assertEquals(1, exit.exitCode());
    assertEquals("into-the-file\n", Files.readString(errors));
    assertEquals(0, exit.stdout().length);
  }

  @Test
  void fiftyChildrenAtOnceEachGetTheirOwnInputOutputAndExitCode() throws Exception {
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<ChildProcess.Exit>> exits = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        int n = i;
        exits.add(callers.submit(() -> finish(PosixSpawn.start(shell("cat; echo child-" + n + " >&2; exit " + n),
            ("input-" + n).getBytes(StandardCharsets.UTF_8), true))));
      }
      for (int i = 0; i < 50; i++) {
        ChildProcess.Exit exit = exits.get(i).get();
        assertEquals(i, exit.exitCode());
        assertEquals("input-" + i, exit.stdoutText());
        assertEquals("child-" + i + "\n", exit.stderrText());
      }
    }
  }

  private static Set<String> openFds() throws IOException {
    Set<String> fds = new TreeSet<>();
    try (var entries = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : entries.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("pipe:") || target.startsWith("anon_inode:[pidfd]")) {
            fds.add(fd.getFileName() + " -> " + target);
          }
        } catch (IOException gone) {
          // the fd of the listing itself, or one closed meanwhile
        }
      }
    }
    return fds;
  }

  private static Set<String> zombieChildren() throws IOException {
    Set<String> zombies = new TreeSet<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        String children;
        try {
          children = Files.readString(task.resolve("children")).strip();
        } catch (IOException ended) {
          continue;
        }
        for (String pid : children.isEmpty() ? new String[0] : children.split(" ")) {
          try {
            if (Files.readString(Path.of("/proc", pid, "stat")).contains(") Z ")) {
              zombies.add(pid);
            }
          } catch (IOException reaped) {
            // reaped meanwhile
          }
        }
      }
    }
    return zombies;
  }
}
