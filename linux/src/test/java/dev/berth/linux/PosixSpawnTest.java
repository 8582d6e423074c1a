package dev.berth.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real spawns of /bin/sh and coreutils (no root needed, but real processes: the integration
 * tier): what the child gets, and how failures read.
 */
@Tag("integration")
class PosixSpawnTest {

  @TempDir
  Path dir;

  private SpawnRequest shell(String script, Path output, List<SpawnRequest.FileAction> more) {
    List<SpawnRequest.FileAction> actions = new ArrayList<>(List.of(
        new SpawnRequest.Open(0, Path.of("/dev/null"), PosixSpawn.O_RDONLY, 0),
        new SpawnRequest.Open(1, output, PosixSpawn.O_WRONLY | PosixSpawn.O_CREAT | PosixSpawn.O_APPEND, 0600),
        new SpawnRequest.Dup2(1, 2)));
    actions.addAll(more);
    return new SpawnRequest(List.of("/bin/sh", "-c", script), Map.of("GREETING", "hello", "PATH", "/usr/bin:/bin"),
        dir, actions);
  }

  private static int exitCodeOf(long pid) {
    return PosixSpawn.exitCode(PosixSpawn.waitFor(pid));
  }

  @Test
  void theChildGetsItsArgvEnvironmentDirectoryAndAppendedOutput() throws Exception {
    Path output = dir.resolve("out");
    Files.writeString(output, "before\n");

    long pid = PosixSpawn.spawn(shell("echo \"$GREETING $0 $(pwd)\"; echo oops >&2; exit 7", output, List.of()));

    assertEquals(7, exitCodeOf(pid));
    assertEquals("before\nhello /bin/sh " + dir.toRealPath() + "\noops\n", Files.readString(output));
  }

  @Test
  void onlyTheFdsTheRequestNamesAreInheritedWithAnEmptySignalMask() throws Exception {
    Path output = dir.resolve("out");
    Path extra = Files.writeString(dir.resolve("extra"), "three");
    // An fd of this JVM's: the child must not see it, whatever its close-on-exec flag.
    try (FileInputStream held = new FileInputStream(dir.resolve("extra").toFile())) {
      long pid = PosixSpawn.spawn(shell("cat <&3; echo; exec ls /proc/self/fd; ", output, List.of(
          new SpawnRequest.Open(3, extra, PosixSpawn.O_RDONLY, 0), new SpawnRequest.CloseFrom(4))));
      assertEquals(0, exitCodeOf(pid));
      assertTrue(held.getFD().valid());
    }
    // ls lists 0-3 and the fd of the directory it reads.
    assertEquals(List.of("three", "0", "1", "2", "3", "4"), Files.readAllLines(output));

    Path status = dir.resolve("status");
    long pid = PosixSpawn.spawn(shell("exec cat /proc/self/status", status, List.of(new SpawnRequest.CloseFrom(3))));
    assertEquals(0, exitCodeOf(pid));
    List<String> lines = Files.readAllLines(status);
    assertTrue(lines.contains("SigBlk:\t0000000000000000"), lines.toString());
    // No standard signal ignored; glibc keeps its own two (32 and 33) out of sigfillset.
    long ignored = lines.stream().filter(l -> l.startsWith("SigIgn:")).map(l -> Long.parseLong(l.substring(7).strip(), 16))
        .findFirst().orElseThrow();
    assertEquals(0, ignored & 0x7fffffffL, lines.toString());
  }

  @Test
  void aMissingProgramIsNamedWithItsErrno() {
    SpawnRequest request = new SpawnRequest(List.of(dir.resolve("no-conmon").toString()), Map.of(), dir, List.of());

    IOException e = assertThrows(IOException.class, () -> PosixSpawn.spawn(request));

    assertEquals("cannot start " + dir.resolve("no-conmon") + ": No such file or directory (errno 2)", e.getMessage());
  }

  @Test
  void aFileTheChildCannotOpenIsNamedAndNoChildIsLeft() {
    Path missing = dir.resolve("missing").resolve("sync.fifo");
    SpawnRequest request = shell("exit 0", dir.resolve("out"),
        List.of(new SpawnRequest.Open(3, missing, PosixSpawn.O_WRONLY, 0)));

    IOException e = assertThrows(IOException.class, () -> PosixSpawn.spawn(request));

    assertTrue(e.getMessage().startsWith("cannot start /bin/sh: No such file or directory (errno 2)"), e.getMessage());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void reapWaitsBrieflyForAnEndedChildAndLeavesARunningOne() throws Exception {
    long quick = PosixSpawn.spawn(shell("exit 0", dir.resolve("out"), List.of()));
    assertTrue(PosixSpawn.reap(quick, Duration.ofSeconds(10)));
    assertFalse(Files.exists(Path.of("/proc/" + quick)) && Files.readString(Path.of("/proc/" + quick + "/stat"))
        .contains(") Z "), "reaped, not a zombie");

    long slow = PosixSpawn.spawn(shell("exec sleep 60", dir.resolve("out"), List.of()));
    assertFalse(PosixSpawn.reap(slow, Duration.ofMillis(50)));
    PosixSpawn.killAndReap(slow);
    assertFalse(Files.exists(Path.of("/proc/" + slow)), "killed and reaped");
    assertTrue(PosixSpawn.reap(slow, Duration.ZERO), "a pid that is no child of ours is gone");
  }

  @Test
  void preparingForFirstUseStartsNoProcess() throws Exception {
    PosixSpawn.prepareFirstUse();
    PosixSpawn.prepareFirstUse();

    // The JVM's own helper threads start no children; a spawn would leave one here until reaped.
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          assertEquals("", Files.readString(task.resolve("children")).strip(), task.toString());
        } catch (java.nio.file.NoSuchFileException ended) {
          // a thread that ended while listed
        }
      }
    }
  }

  @Test
  void anExitCodeIsReadFromTheWaitStatusAndASignalAddsTo128() {
    assertEquals(0, PosixSpawn.exitCode(0));
    assertEquals(7, PosixSpawn.exitCode(7 << 8));
    assertEquals(137, PosixSpawn.exitCode(9));
  }
}
