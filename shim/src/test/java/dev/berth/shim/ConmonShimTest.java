package dev.berth.shim;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real containers through real conmon and runc. Needs root. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConmonShimTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Pattern CRI_LINE = Pattern.compile("(\\S+) (stdout|stderr) ([FP]) (.*)");

  private TestBundles bundles;
  private ConmonShim shim;
  private ExitWatcher watcher;
  private final Map<String, BlockingQueue<ExitRecord>> exits = new ConcurrentHashMap<>();
  private final Set<String> created = ConcurrentHashMap.newKeySet();
  private final List<Long> shimPids = new ArrayList<>();

  @BeforeAll
  void setUp() throws IOException {
    bundles = new TestBundles();
    shim = new ConmonShim(bundles.config);
    watcher = shim.watchExits((id, exit) -> exitsOf(id).add(exit));
  }

  @AfterAll
  void tearDown() throws IOException {
    if (watcher != null) {
      watcher.close();
    }
    for (String id : created) {
      try {
        shim.delete(id);
      } catch (ShimException | RuntimeException e) {
        System.err.println("cleanup: delete " + id + ": " + e.getMessage());
      }
    }
    // Only conmons this test started, by pid, and only if they are still conmon.
    for (long pid : shimPids) {
      ProcessHandle.of(pid).filter(p -> p.info().command().orElse("").endsWith("conmon"))
          .ifPresent(ProcessHandle::destroyForcibly);
    }
    if (bundles != null) {
      bundles.close();
      assertTrue(bundles.cgroupDirs().isEmpty(), "cgroups left behind: " + bundles.cgroupDirs());
    }
  }

  private BlockingQueue<ExitRecord> exitsOf(String id) {
    return exits.computeIfAbsent(id, k -> new LinkedBlockingQueue<>());
  }

  private CreatedProcess create(String id, Path logPath, String... args) throws Exception {
    Path bundle = bundles.bundle(id, args);
    created.add(id);
    CreatedProcess process = shim.create(new CreateRequest(id, bundle, logPath, false, false, false, WAIT));
    shimPids.add(process.shimPid());
    return process;
  }

  /** The runtime says the container is created, with the pid the create reported. */
  private void assertCreatedWithItsPid(String id, CreatedProcess process) throws ShimException {
    RuntimeState state = shim.state(id).orElseThrow();
    assertEquals(RuntimeState.Status.CREATED, state.status());
    assertEquals(process.containerPid(), state.pid());
  }

  private CreatedProcess run(String id, String... args) throws Exception {
    CreatedProcess process = create(id, null, args);
    shim.start(id);
    return process;
  }

  private ExitRecord awaitWatchedExit(String id) throws InterruptedException {
    ExitRecord exit = exitsOf(id).poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(exit, "the exit watcher reported no exit for " + id);
    return exit;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  private static String processJson(String... args) {
    StringBuilder argv = new StringBuilder();
    for (String arg : args) {
      argv.append(argv.isEmpty() ? "" : ",").append('"').append(arg.replace("\\", "\\\\").replace("\"", "\\\""))
          .append('"');
    }
    return "{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},\"args\":[" + argv
        + "],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"}";
  }

  @Test
  void createLeavesContainerCreatedWithItsPid() throws Exception {
    CreatedProcess process = create("created", null, "sleep", "60");
    assertTrue(process.containerPid() > 0);
    assertTrue(process.shimPid() > 0);
    assertCreatedWithItsPid("created", process);
    assertTrue(shim.exit("created").isEmpty(), "a created container has not exited");
    shim.delete("created");
  }

  @Test
  void exitCodeZeroIsRecordedAndWatched() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    run("exit0", "true");
    ExitRecord watched = awaitWatchedExit("exit0");
    assertEquals(0, watched.exitCode());
    ExitRecord file = shim.exit("exit0").orElseThrow();
    assertEquals(0, file.exitCode());
    assertTrue(file.finishedAt().isAfter(before), "finish time " + file.finishedAt());
    assertFalse(shim.oomKilled("exit0"));
    assertEquals(RuntimeState.Status.STOPPED, shim.state("exit0").orElseThrow().status());
  }

  @Test
  void exitCodeOneIsRecordedAndWatched() throws Exception {
    run("exit1", "false");
    assertEquals(1, awaitWatchedExit("exit1").exitCode());
    assertEquals(1, shim.exit("exit1").orElseThrow().exitCode());
  }

  @Test
  void sigkillGivesExitCode137() throws Exception {
    run("killed", "sleep", "60");
    assertEquals(RuntimeState.Status.RUNNING, shim.state("killed").orElseThrow().status());
    shim.kill("killed", 9, false);
    assertEquals(137, awaitWatchedExit("killed").exitCode());
    assertEquals(137, shim.exit("killed").orElseThrow().exitCode());
  }

  @Test
  void logHoldsStdoutStderrAndPartialLineInCriFormat() throws Exception {
    Path log = bundles.logPath("logs");
    create("logs", log, "sh", "-c", "echo out; echo err >&2; printf partial");
    shim.start("logs");
    awaitWatchedExit("logs");
    List<String> lines = Files.readAllLines(log);
    assertEquals(3, lines.size(), "log: " + lines);
    List<String> entries = new ArrayList<>();
    for (String line : lines) {
      Matcher m = CRI_LINE.matcher(line);
      assertTrue(m.matches(), "not a CRI log line: " + line);
      OffsetDateTime.parse(m.group(1));
      entries.add(m.group(2) + " " + m.group(3) + " " + m.group(4));
    }
    assertTrue(entries.contains("stdout F out"), entries.toString());
    assertTrue(entries.contains("stderr F err"), entries.toString());
    assertTrue(entries.contains("stdout P partial"), entries.toString());
  }

  @Test
  void execSyncCapturesStdoutStderrAndExitCode() throws Exception {
    run("exec", "sleep", "60");
    ExecResult result = shim.execSync("exec",
        processJson("sh", "-c", "echo to-out; echo to-err >&2; printf tail; exit 3"), Duration.ofSeconds(10));
    assertFalse(result.timedOut());
    assertEquals(3, result.exitCode());
    assertEquals("to-out\ntail", result.stdoutText());
    assertEquals("to-err\n", result.stderrText());
    assertEquals(RuntimeState.Status.RUNNING, shim.state("exec").orElseThrow().status(),
        "the exec must not disturb the container");
    assertTrue(Files.exists(shim.attachSocket("exec")), "the exec must leave the container's attach socket alone");
    shim.kill("exec", 9, true);
  }

  @Test
  void execSyncTimeoutKillsTheProcess() throws Exception {
    run("exectime", "sleep", "60");
    long started = System.nanoTime();
    ExecResult result = shim.execSync("exectime", processJson("sh", "-c", "echo begun; sleep 47; echo never"),
        Duration.ofSeconds(1));
    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
    assertTrue(result.timedOut());
    assertTrue(elapsedMs < 5000, "took " + elapsedMs + " ms");
    assertFalse(result.stdoutText().contains("never"));
    await("the exec'd sleep is gone", () -> !hostProcessRuns("sleep", "47"));
    assertEquals(RuntimeState.Status.RUNNING, shim.state("exectime").orElseThrow().status());
    shim.kill("exectime", 9, true);
  }

  @Test
  void execSyncKeepsTheFirstBytesOfAHugeOutputAndSaysItWasCut() throws Exception {
    run("execbig", "sleep", "60");
    ExecResult result = shim.execSync("execbig",
        processJson("sh", "-c", "yes 0123456789abcdef | head -c 100000000; echo end >&2"), Duration.ofSeconds(50));
    assertFalse(result.timedOut());
    assertEquals(0, result.exitCode());
    assertTrue(result.truncated());
    assertTrue(result.stdout().length + result.stderr().length <= ExecResult.OUTPUT_LIMIT,
        result.stdout().length + " + " + result.stderr().length);
    assertTrue(result.stdout().length > ExecResult.OUTPUT_LIMIT / 4, "kept " + result.stdout().length);
    assertTrue(result.stdoutText().startsWith("0123456789abcdef\n0123456789abcdef\n"));
    assertEquals(List.of(), execDirs(), "the exec's directory is removed");
    shim.kill("execbig", 9, true);
  }

  @Test
  void execsLeftByAnEarlierDaemonAreEndedAndTheirFilesRemoved() throws Exception {
    run("orphans", "sleep", "60");
    ExecSession session = shim.execAttached("orphans", processJson("sleep", "271"), false, false);
    Path dir = execDirs().getFirst();
    long conmon = Long.parseLong(Files.readString(dir.resolve("conmon.pid")).trim());
    assertTrue(hostProcessRuns("sleep", "271"));
    // A restarted daemon knows nothing of the session: only the files tell it.
    new ConmonShim(bundles.config).releaseOrphanedExecs();
    assertFalse(hostProcessRuns("sleep", "271"), "the exec'd process is ended");
    assertFalse(ProcessHandle.of(conmon).map(ProcessHandle::isAlive).orElse(false), "the exec's conmon is ended");
    assertEquals(List.of(), execDirs());
    try (var links = Files.list(bundles.config.socketDir())) {
      assertEquals(List.of(), links.filter(link -> link.getFileName().toString().startsWith("x")).toList());
    }
    session.close();
    shim.kill("orphans", 9, true);
  }

  private List<Path> execDirs() throws IOException {
    try (var entries = Files.list(bundles.config.persistDir())) {
      return entries.filter(entry -> entry.getFileName().toString().contains(".exec-")).toList();
    }
  }

  /** A live, non-zombie host process with exactly this argv. */
  private static boolean hostProcessRuns(String... argv) {
    String wanted = String.join("\0", argv) + "\0";
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).anyMatch(p -> {
        try {
          String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          String stat = Files.readString(p.resolve("stat"));
          char state = stat.charAt(stat.lastIndexOf(')') + 2);
          return cmdline.equals(wanted) && state != 'Z';
        } catch (IOException e) {
          return false;
        }
      });
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void killThenDeleteRemovesContainerAndShimFiles() throws Exception {
    CreatedProcess process = run("gone", "sleep", "60");
    shim.kill("gone", 9, false);
    awaitWatchedExit("gone");
    shim.delete("gone");
    assertEquals(Optional.empty(), shim.state("gone"));
    assertFalse(shim.isShimAlive("gone"));
    assertTrue(ProcessHandle.of(process.containerPid()).map(p -> !p.isAlive()).orElse(true));
    assertFalse(Files.exists(bundles.config.persistDir().resolve("gone")));
    assertFalse(Files.exists(bundles.config.exitDir().resolve("gone")));
    assertFalse(Files.exists(bundles.config.socketDir().resolve("gone"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    shim.kill("gone", 9, false);
  }

  @Test
  void deleteOfUnknownIdSucceeds() throws Exception {
    shim.delete("never-created");
    shim.delete("never-created");
  }

  /** Recovery asks where runc keeps a container's state: for another handler, its own root, after a restart too. */
  @Test
  void aContainerOfAnotherHandlerHasItsRuntimeStateUnderThatHandlersRoot() throws Exception {
    ShimConfig c = bundles.config;
    Path altRoot = bundles.root.resolve("r-alt");
    ShimConfig withAlt = new ShimConfig(c.conmon(), c.runtime(), c.runtimeRoot(), c.exitDir(), c.persistDir(),
        c.socketDir(), List.of(new RuntimeBinary("alt", c.runtime(), altRoot)), null);
    ConmonShim alt = new ConmonShim(withAlt);
    String id = "alt-handler";
    CreatedProcess process = alt.create(new CreateRequest(id, bundles.bundle(id, "sleep", "60"), null, false, false,
        false, WAIT, "alt", null));
    shimPids.add(process.shimPid());
    try {
      assertEquals(altRoot.resolve(id), alt.runtimeStateDir(id));
      assertTrue(Files.isDirectory(altRoot.resolve(id)), "runc's state of the container");
      assertFalse(Files.exists(c.runtimeRoot().resolve(id)));
      assertEquals(altRoot.resolve(id), new ConmonShim(withAlt).runtimeStateDir(id), "as a restarted daemon sees it");
    } finally {
      alt.delete(id);
    }
  }

  /**
   * A shim that knows its handler "no-start" runs runc, through a runc that refuses "start": a
   * container of that handler starts only if the shim starts it through runc's exec FIFO.
   */
  private ConmonShim shimWithARuncThatCannotStart(boolean knownAsRunc) throws IOException {
    ShimConfig c = bundles.config;
    Path wrapper = bundles.root.resolve("runc-without-start");
    Files.writeString(wrapper, """
        #!/bin/sh
        for arg in "$@"; do [ "$arg" = start ] && { echo "this runc does not start containers" >&2; exit 1; }; done
        exec %s "$@"
        """.formatted(c.runtime()));
    wrapper.toFile().setExecutable(true);
    ConmonShim noStart = new ConmonShim(new ShimConfig(c.conmon(), c.runtime(), c.runtimeRoot(), c.exitDir(),
        c.persistDir(), c.socketDir(), List.of(new RuntimeBinary("no-start", wrapper, bundles.root.resolve("r-ns"))),
        null));
    if (knownAsRunc) {
      noStart.runcHandlers(Set.of("no-start"));
    }
    return noStart;
  }

  private CreatedProcess createWith(ConmonShim owner, String id, String handler, String... args) throws Exception {
    CreatedProcess process = owner.create(new CreateRequest(id, bundles.bundle(id, args),
        bundles.root.resolve(id + ".log"), false, false, false, WAIT, handler, null));
    shimPids.add(process.shimPid());
    return process;
  }

  @Test
  void aRuncContainerStartsThroughItsExecFifoWithoutRuncStart() throws Exception {
    ConmonShim runcKnown = shimWithARuncThatCannotStart(true);
    String id = "fifo-start";
    CreatedProcess process = createWith(runcKnown, id, "no-start", "sh", "-c", "echo started; exec sleep 60");
    try {
      Path fifo = runcKnown.runtimeStateDir(id).resolve("exec.fifo");
      assertTrue(Files.exists(fifo), "runc's create leaves its init waiting on " + fifo);

      runcKnown.start(id);

      assertFalse(Files.exists(fifo), "removed, as runc start removes it");
      assertEquals(RuntimeState.Status.RUNNING, runcKnown.state(id).orElseThrow().status(), "runc itself says so");
      assertEquals(process.containerPid(), runcKnown.state(id).orElseThrow().pid());
      Path log = bundles.root.resolve(id + ".log");
      await("the container's process wrote its line", () -> {
        try {
          return Files.exists(log) && Files.readString(log).contains("stdout F started");
        } catch (IOException e) {
          return false;
        }
      });
      await("the container's process exec'd sleep", () -> {
        try {
          return Files.readString(Path.of("/proc/" + process.containerPid() + "/cmdline")).equals("sleep\u000060\u0000");
        } catch (IOException e) {
          return false;
        }
      });
    } finally {
      runcKnown.delete(id);
    }
  }

  @Test
  void aRuntimeNotKnownAsRuncStartsWithItsOwnStart() throws Exception {
    ConmonShim unknown = shimWithARuncThatCannotStart(false);
    String refused = startFailure(unknown, "own-start", process -> { }, () ->
        assertEquals(RuntimeState.Status.CREATED, unknown.state("own-start").orElseThrow().status()));
    assertTrue(refused.contains("this runc does not start containers"), refused);
  }

  @Test
  void aContainerWhoseInitDiedBeforeItsStartFailsToStartAndSaysWhy() throws Exception {
    String failed = startFailure(shimWithARuncThatCannotStart(true), "died-before-start", process -> {
      ProcessHandle.of(process.containerPid()).orElseThrow().destroyForcibly();
      await("its init is gone", () -> ProcessHandle.of(process.containerPid()).isEmpty()
          || !Files.exists(Path.of("/proc/" + process.containerPid() + "/stat"))
          || readState(process.containerPid()) == 'Z');
    }, () -> { });
    assertTrue(failed.contains("exited before it was started"), failed);
  }

  /** Something done to a created container, in a test. */
  @FunctionalInterface
  private interface Step {
    void run(CreatedProcess process) throws Exception;
  }

  /** Something checked, in a test. */
  @FunctionalInterface
  private interface Check {
    void run() throws Exception;
  }

  /**
   * Creates a {@code sleep} as {@code id} on {@code owner}'s "no-start" handler, does {@code
   * beforeStart} to it, and returns the message of its failed start, after {@code afterFailure}
   * checked what is left; the container is deleted at the end either way.
   */
  private String startFailure(ConmonShim owner, String id, Step beforeStart, Check afterFailure)
      throws Exception {
    CreatedProcess process = createWith(owner, id, "no-start", "sleep", "60");
    try {
      beforeStart.run(process);
      ShimException failed = assertThrows(ShimException.class, () -> owner.start(id));
      afterFailure.run();
      return failed.getMessage();
    } finally {
      owner.delete(id);
    }
  }

  private static char readState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException e) {
      return 'X';
    }
  }

  @Test
  void stateOfUnknownIdIsEmpty() throws Exception {
    assertEquals(Optional.empty(), shim.state("never-created"));
  }

  @Test
  void pauseAndResumeChangeState() throws Exception {
    run("paused", "sleep", "60");
    shim.pause("paused");
    assertEquals(RuntimeState.Status.PAUSED, shim.state("paused").orElseThrow().status());
    shim.resume("paused");
    assertEquals(RuntimeState.Status.RUNNING, shim.state("paused").orElseThrow().status());
    shim.kill("paused", 9, true);
  }

  /**
   * What a checkpoint gives depends on this host's CRIU: none on the PATH, one whose {@code criu
   * check} fails (Debian 12's 3.17 on newer kernels), or a working one. Each way the container
   * runs on; only a working CRIU leaves images behind.
   */
  @Test
  void checkpointDoesWhatThisHostsCriuAllowsAndTheContainerRunsOn() throws Exception {
    HostCriu criu = HostCriu.probe();
    run("ckpt", "sleep", "60");
    Path images = Files.createTempDirectory("berth-ckpt-test");
    try {
      if (criu == HostCriu.WORKS) {
        shim.checkpoint("ckpt", images.resolve("image"), images.resolve("work"), true);
        assertTrue(Files.exists(images.resolve("image/inventory.img")), "CRIU wrote no inventory");
      } else {
        ShimException e = assertThrows(ShimException.class,
            () -> shim.checkpoint("ckpt", images.resolve("image"), images.resolve("work"), true));
        assertTrue(e.getMessage().contains(criu == HostCriu.MISSING ? "criu" : "criu failed: type DUMP"),
            criu + ": " + e.getMessage());
      }
      assertEquals(RuntimeState.Status.RUNNING, shim.state("ckpt").orElseThrow().status());
    } finally {
      shim.kill("ckpt", 9, true);
      try (var walk = Files.walk(images)) {
        for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  enum HostCriu {
    MISSING, CHECK_FAILS, WORKS;

    static HostCriu probe() throws Exception {
      Process check;
      try {
        check = new ProcessBuilder("criu", "check").redirectErrorStream(true).start();
      } catch (IOException e) {
        return MISSING;
      }
      check.getInputStream().readAllBytes();
      return check.waitFor() == 0 ? WORKS : CHECK_FAILS;
    }
  }

  @Test
  void updateResourcesWritesTheCgroup() throws Exception {
    run("limits", "sleep", "60");
    shim.updateResources("limits", "{\"pids\":{\"limit\":42}}");
    Path pidsMax = Path.of("/sys/fs/cgroup/pids").resolve(bundles.cgroupParent.substring(1)).resolve("limits/pids.max");
    assertEquals("42", Files.readString(pidsMax).strip());
    shim.kill("limits", 9, true);
  }

  @Test
  void reopenLogAfterRenameCreatesNewFile() throws Exception {
    Path log = bundles.logPath("rotate");
    create("rotate", log, "sh", "-c", "while true; do echo tick; sleep 0.1; done");
    shim.start("rotate");
    await("the log has a line", () -> sizeOf(log) > 0);
    Path rotated = log.resolveSibling("rotate.log.1");
    Files.move(log, rotated);
    shim.reopenLog("rotate");
    await("conmon writes a new log file", () -> sizeOf(log) > 0);
    assertTrue(Files.readString(log).contains("stdout F tick"));
    shim.kill("rotate", 9, true);
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  @Test
  void containerIsHeldOnlyByItsShim() throws Exception {
    CreatedProcess process = run("detached", "sleep", "60");
    assertTrue(shim.isShimAlive("detached"));
    ProcessHandle conmon = ProcessHandle.of(process.shimPid()).orElseThrow();
    long self = ProcessHandle.current().pid();
    assertNotEquals(self, conmon.parent().map(ProcessHandle::pid).orElse(-1L),
        "conmon must not be this JVM's child, or it would die with it");
    assertTrue(ProcessHandle.current().descendants().noneMatch(p -> p.pid() == process.shimPid()));
    // A fresh shim, as after a daemon restart, finds the same container through the files alone.
    ConmonShim restarted = new ConmonShim(bundles.config);
    assertTrue(restarted.isShimAlive("detached"));
    assertEquals(RuntimeState.Status.RUNNING, restarted.state("detached").orElseThrow().status());
    restarted.kill("detached", 9, false);
    awaitWatchedExit("detached");
    await("conmon exits after its container", () -> !restarted.isShimAlive("detached"));
  }

  /** One runtime call and no conmon: the process runs, outlives this JVM, and its end is read from /proc. */
  @Test
  void aDetachedContainerRunsWithoutAShimAndItsEndIsSeenInProc() throws Exception {
    Path bundle = bundles.bundle("noshim", "sleep", "60");
    created.add("noshim");
    long pid = shim.runDetached("noshim", bundle, "", WAIT);

    RuntimeState state = shim.state("noshim").orElseThrow();
    assertEquals(RuntimeState.Status.RUNNING, state.status(), "created and started in the one call");
    assertEquals(pid, state.pid());
    assertTrue(shim.isDetached("noshim"));
    assertTrue(shim.isDetachedRunning("noshim"));
    assertFalse(shim.isShimAlive("noshim"), "no conmon");
    assertFalse(Files.exists(bundles.config.persistDir().resolve("noshim").resolve("conmon.pid")));
    assertTrue(ProcessHandle.current().descendants().noneMatch(p -> p.pid() == pid),
        "not this JVM's descendant, or it would die with it");
    // A fresh shim, as after a daemon restart, knows it from the files alone.
    assertTrue(new ConmonShim(bundles.config).isDetachedRunning("noshim"));

    shim.kill("noshim", 9, false);
    await("the detached container's end is seen in /proc", () -> !shim.isDetachedRunning("noshim"));
    assertEquals(RuntimeState.Status.STOPPED, shim.state("noshim").orElseThrow().status());
    shim.delete("noshim");
    assertEquals(Optional.empty(), shim.state("noshim"));
    assertFalse(shim.isDetached("noshim"));
    assertFalse(Files.exists(bundles.config.persistDir().resolve("noshim")));
  }

  @Test
  void aDetachedRunThatFailsCarriesTheRuntimeErrorAndLeavesNothing() throws Exception {
    Path bundle = bundles.bundle("brokenrun", "/no/such/binary");
    created.add("brokenrun");
    ShimException e = assertThrows(ShimException.class, () -> shim.runDetached("brokenrun", bundle, "", WAIT));
    assertTrue(e.getMessage().contains("/no/such/binary"), e.getMessage());
    assertEquals(Optional.empty(), shim.state("brokenrun"));
    assertFalse(Files.exists(bundles.config.persistDir().resolve("brokenrun")));
  }

  @Test
  void createFailureCarriesTheRuntimeError() throws Exception {
    Path bundle = bundles.bundle("broken", "/no/such/binary");
    created.add("broken");
    ShimException e = assertThrows(ShimException.class,
        () -> shim.create(CreateRequest.of("broken", bundle, null)));
    assertTrue(e.getMessage().contains("/no/such/binary"), e.getMessage());
    assertEquals(Optional.empty(), shim.state("broken"));
    assertFalse(Files.exists(bundles.config.persistDir().resolve("broken")));
  }

  @Test
  void createWithAMissingConmonFailsInsteadOfHanging() throws Exception {
    Path bundle = bundles.bundle("noconmon", "true");
    ShimConfig broken = new ShimConfig(Path.of("/no/such/conmon"), bundles.config.runtime(),
        bundles.config.runtimeRoot(), bundles.config.exitDir(), bundles.config.persistDir(),
        bundles.config.socketDir());
    ShimException e = assertThrows(ShimException.class,
        () -> new ConmonShim(broken).create(CreateRequest.of("noconmon", bundle, null)));
    assertTrue(e.getMessage().contains("cannot start /no/such/conmon: No such file or directory"), e.getMessage());
    assertFalse(Files.exists(bundles.config.persistDir().resolve("noconmon")));
  }

  @Test
  void createWithAConmonThatExitsAtOnceSaysSoAndLeavesNoZombie() throws Exception {
    Path bundle = bundles.bundle("earlyexit", "true");
    Path fakeConmon = Files.createDirectories(bundles.root.resolve("fake-bin")).resolve("conmon");
    Files.writeString(fakeConmon, "#!/bin/sh\necho 'conmon: refusing to start' >&2\nexit 1\n");
    Files.setPosixFilePermissions(fakeConmon, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ShimConfig early = new ShimConfig(fakeConmon, bundles.config.runtime(),
        bundles.config.runtimeRoot(), bundles.config.exitDir(), bundles.config.persistDir(),
        bundles.config.socketDir());

    ShimException e = assertThrows(ShimException.class,
        () -> new ConmonShim(early).create(CreateRequest.of("earlyexit", bundle, null)));

    assertTrue(e.getMessage().contains("conmon closed its sync pipe without reporting"), e.getMessage());
    assertTrue(e.getMessage().contains("conmon: refusing to start"), "its output is quoted: " + e.getMessage());
    assertEquals(List.of(), zombieChildren(), "the first process is reaped by the launch");
  }

  @Test
  void aBegunCreateRunsNoRuntimeUntilItsFinishAndThenCreates() throws Exception {
    Path bundle = bundles.bundle("held", "sleep", "60");
    Path config = bundle.resolve("config.json");
    Path aside = Files.move(config, bundle.resolve("config.json.aside"));
    created.add("held");
    try (PendingCreate pending = shim.beginCreate(new CreateRequest("held", bundle, null, false, false, false, WAIT))) {
      await("conmon runs", () -> !conmonsNaming("held").isEmpty());
      Thread.sleep(300);
      assertEquals(Optional.empty(), shim.state("held"), "conmon went on without its start byte");
      assertFalse(Files.exists(bundles.config.persistDir().resolve("held").resolve("conmon.pid")),
          "conmon daemonized without its start byte");

      Files.move(aside, config);
      CreatedProcess process = pending.finish();
      shimPids.add(process.shimPid());

      assertCreatedWithItsPid("held", process);
    }
    assertTrue(shim.state("held").isPresent(), "closing a finished create undoes nothing");
    shim.delete("held");
  }

  @Test
  void aBegunCreateClosedUnfinishedEndsItsConmonAndLeavesNothing() throws Exception {
    Path bundle = bundles.bundle("abandoned", "sleep", "60");
    Path logPath = bundles.root.resolve("abandoned.log");
    created.add("abandoned");
    try (PendingCreate pending = shim.beginCreate(new CreateRequest("abandoned", bundle, logPath, false, false, false,
        WAIT))) {
      await("conmon opens the container's log", () -> Files.exists(logPath));
    }
    assertEquals(List.of(), conmonsNaming("abandoned"));
    assertEquals(List.of(), zombieChildren(), "the ended conmon is reaped");
    assertEquals(Optional.empty(), shim.state("abandoned"));
    assertFalse(Files.exists(bundles.config.persistDir().resolve("abandoned")), "shim files left behind");
    assertFalse(Files.exists(logPath), "the empty log conmon opened is left behind");
  }

  @Test
  void aBegunCreateFinishedWithoutItsConfigFailsAndLeavesNothing() throws Exception {
    Path bundle = bundles.bundle("unfinished", "true");
    Files.delete(bundle.resolve("config.json"));
    created.add("unfinished");
    try (PendingCreate pending = shim.beginCreate(CreateRequest.of("unfinished", bundle, null))) {
      ShimException e = assertThrows(ShimException.class, pending::finish);
      assertTrue(e.getMessage().contains("has no config.json"), e.getMessage());
    }
    assertEquals(List.of(), conmonsNaming("unfinished"));
    assertEquals(Optional.empty(), shim.state("unfinished"));
    assertFalse(Files.exists(bundles.config.persistDir().resolve("unfinished")), "shim files left behind");
  }

  /** Live conmons this JVM spawned whose command line names {@code id}. */
  private static List<Long> conmonsNaming(String id) {
    return ProcessHandle.current().children()
        .filter(p -> p.info().command().orElse("").endsWith("conmon"))
        .filter(p -> List.of(p.info().arguments().orElse(new String[0])).contains(id))
        .map(ProcessHandle::pid)
        .toList();
  }

  /** Children of this JVM that have ended but were never waited for. */
  private static List<String> zombieChildren() throws IOException {
    List<String> zombies = new ArrayList<>();
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
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
              zombies.add(stat.substring(0, stat.lastIndexOf(')') + 1));
            }
          } catch (IOException gone) {
            // reaped meanwhile
          }
        }
      }
    }
    return zombies;
  }

  @Test
  void resizeOfAContainerWithoutShimFails() {
    ShimException e = assertThrows(ShimException.class, () -> shim.resize("never-created", 24, 80));
    assertTrue(e.getMessage().contains("never-created"), e.getMessage());
  }

  @Test
  void invalidIdIsRejectedBeforeAnyPathIsBuilt() {
    assertThrows(IllegalArgumentException.class, () -> shim.delete("../etc"));
    assertThrows(IllegalArgumentException.class, () -> shim.exit("a/b"));
  }
}
