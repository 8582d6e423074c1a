package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStatsRequest;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.ExecRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.shim.ExecResult;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Execs that wait, flood or chatter, through the daemon's socket against real containers: the
 * daemon keeps answering everyone else and keeps its memory and state disk bounded.
 */
@Tag("integration")
class ExecUnderLoadTest extends PodTestCase {
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** Generous for a loaded 2-core machine; a daemon with pinned carriers does not answer at all. */
  private static final Duration ANSWER_BOUND = Duration.ofSeconds(5);

  private static String execs;
  private static String otherPodsContainer;

  @BeforeAll
  static void startContainers() {
    execs = env.runContainer(env.runPod(), env.containerConfig("exec-target", "sleep", "3600").build());
    otherPodsContainer = env.runContainer(env.runPod(env.podConfig("bystander").build()),
        env.containerConfig("bystander", "sleep", "3600").build());
  }

  private static String execUrl(boolean stdin, String... cmd) {
    return env.runtime().exec(ExecRequest.newBuilder().setContainerId(execs).addAllCmd(List.of(cmd))
        .setStdin(stdin).setStdout(true).setStderr(true).build()).getUrl();
  }

  private static CompletableFuture<ExecSyncResponse> execSyncInBackground(long timeoutSeconds, String... cmd) {
    return CompletableFuture.supplyAsync(() -> env.runtime().execSync(ExecSyncRequest.newBuilder()
        .setContainerId(execs).addAllCmd(List.of(cmd)).setTimeout(timeoutSeconds).build()),
        // Not the common pool: on two cores it runs one blocking task at a time.
        task -> Thread.ofPlatform().daemon().start(task));
  }

  @Test
  void twoInteractiveExecsAndTwoSleepingExecSyncsLeaveTheDaemonAnsweringOthers() throws Exception {
    List<WebSocketTestClient> shells = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        WebSocketTestClient shell = new WebSocketTestClient();
        shells.add(shell);
        assertEquals(101, shell.connect(execUrl(true, "sh"), List.of("v5.channel.k8s.io")));
        shell.send(0, "echo shell-$((40+" + i + "))\n");
        shell.awaitText(1, "shell-4" + i, WAIT);
      }
      CompletableFuture<ExecSyncResponse> first = execSyncInBackground(60, "sleep", "29");
      CompletableFuture<ExecSyncResponse> second = execSyncInBackground(60, "sleep", "29");
      awaitProcesses(2, "sleep", "29");

      // Version and ContainerStatus answer on the event loop; ListImages and ContainerStats
      // need a virtual thread, which is what pinned carriers starve.
      var runtime = env.daemon().client().runtime(ANSWER_BOUND);
      var images = env.daemon().client().images(ANSWER_BOUND);
      assertFalse(runtime.version(VersionRequest.getDefaultInstance()).getRuntimeName().isEmpty());
      assertTrue(images.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount() > 0);
      assertEquals(otherPodsContainer, runtime.containerStatus(ContainerStatusRequest.newBuilder()
          .setContainerId(otherPodsContainer).build()).getStatus().getId());
      assertEquals(otherPodsContainer, runtime.containerStats(ContainerStatsRequest.newBuilder()
          .setContainerId(otherPodsContainer).build()).getStats().getAttributes().getId());
      assertFalse(first.isDone() || second.isDone(), "the ExecSyncs were still running while the daemon answered");
      for (WebSocketTestClient shell : shells) {
        assertFalse(shell.isClosed(), "the interactive execs were still open while the daemon answered");
      }

      assertEquals(0, first.get(60, TimeUnit.SECONDS).getExitCode());
      assertEquals(0, second.get(60, TimeUnit.SECONDS).getExitCode());
    } finally {
      shells.forEach(WebSocketTestClient::close);
    }
  }

  @Test
  void stdinFloodIntoAProcessThatNeverReadsIsThrottledAndTheHeapStaysBounded() throws Exception {
    long rssBefore = daemonRssKib();
    long sent = 0;
    boolean throttled = false;
    byte[] chunk = new byte[64 * 1024];
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(execUrl(true, "sleep", "3601"), List.of("v5.channel.k8s.io")));
      awaitProcesses(1, "sleep", "3601");
      // Far more than the daemon's heap (-Xmx128m): without flow control it takes it all, or dies.
      while (sent < 512L * 1024 * 1024) {
        if (!client.trySend(0, chunk, Duration.ofSeconds(3))) {
          throttled = true;
          break;
        }
        sent += chunk.length;
      }
      assertTrue(throttled, "the client could send " + sent + " bytes to a process that reads none");
      assertTrue(sent < 64L * 1024 * 1024, "accepted " + sent + " bytes before slowing the client");
      assertTrue(env.daemon().process().isAlive());
      assertFalse(env.daemon().client().images(ANSWER_BOUND).listImages(ListImagesRequest.getDefaultInstance())
          .getImagesList().isEmpty(), "the daemon answers while the flood waits");
      long grownKib = daemonRssKib() - rssBefore;
      assertTrue(grownKib < 96 * 1024, "the daemon's RSS grew by " + grownKib + " KiB");
    }
    awaitNoProcess("sleep", "3601");
  }

  @Test
  void execSyncOfAHugeOutputAnswersWithAtMostTheCapAndTheStateDiskStaysSmall() throws Exception {
    Path shims = env.daemon().dir().resolve("state").resolve("shims");
    AtomicLong largest = new AtomicLong();
    CompletableFuture<ExecSyncResponse> reply = execSyncInBackground(60,
        "sh", "-c", "yes 0123456789abcdef | head -c 100000000; echo done >&2");
    while (!reply.isDone()) {
      largest.accumulateAndGet(treeSize(shims), Math::max);
      Thread.sleep(20);
    }
    ExecSyncResponse response = reply.get();
    assertEquals(0, response.getExitCode());
    assertTrue(response.getStdout().size() + response.getStderr().size() <= ExecResult.OUTPUT_LIMIT,
        response.getStdout().size() + " + " + response.getStderr().size() + " bytes");
    assertTrue(response.getStdout().size() > ExecResult.OUTPUT_LIMIT / 4, response.getStdout().size() + " bytes kept");
    assertEquals("0123456789abcdef\n0123456789abcdef\n", response.getStdout().substring(0, 34).toStringUtf8());
    assertTrue(largest.get() <= ExecResult.OUTPUT_LIMIT + 1024 * 1024,
        "the state dir held " + largest.get() + " bytes while the exec ran");
  }

  @Test
  void execSyncEndsAtTheClientsDeadlineAndTheProcessWithIt() throws Exception {
    long started = System.nanoTime();
    StatusRuntimeException expired = assertThrows(StatusRuntimeException.class,
        () -> env.daemon().client().runtime(Duration.ofSeconds(2)).execSync(ExecSyncRequest.newBuilder()
            .setContainerId(execs).addCmd("sleep").addCmd("3602").build()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, expired.getStatus().getCode());
    awaitNoProcess("sleep", "3602");
    assertTrue(System.nanoTime() - started < WAIT.toNanos(), "the exec outlived its client's deadline");
  }

  /** Processes with exactly this argv in this daemon's containers. */
  private static long processes(String... argv) throws IOException {
    String wanted = String.join("\0", argv) + "\0";
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).filter(p -> {
        try {
          String stat = Files.readString(p.resolve("stat"));
          return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).equals(wanted)
              && stat.charAt(stat.lastIndexOf(')') + 2) != 'Z'
              && Files.readString(p.resolve("cgroup")).contains(env.cgroupRoot());
        } catch (IOException gone) {
          return false;
        }
      }).count();
    }
  }

  private static void awaitProcesses(long count, String... argv) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (processes(argv) < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(count + " x " + List.of(argv) + " never ran");
      }
      Thread.sleep(50);
    }
  }

  private static void awaitNoProcess(String... argv) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (processes(argv) > 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(List.of(argv) + " still runs");
      }
      Thread.sleep(50);
    }
  }

  private static long daemonRssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(env.daemon().pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmRSS for the daemon");
  }

  private static long treeSize(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.mapToLong(file -> {
        try {
          return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException gone) {
          return 0;
        }
      }).sum();
    } catch (IOException | java.io.UncheckedIOException gone) {
      return 0;
    }
  }
}
