package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.sandbox.SpareInfras;
import dev.berth.runtime.testing.ObjectTraces;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.StallPoints;
import dev.berth.runtime.testing.StallingRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "Nothing lost": the daemon is killed with SIGKILL in the middle of each call that makes or
 * unmakes something, stalled there by real programs in its way (a runc wrapper, a CNI plugin, a
 * registry whose blob stops half way), then started again. Every object is then either complete
 * or gone, through CRI and on disk (no mount, process, cgroup, file, netns pin or IP reservation
 * naming a half-made object), and the kubelet's retry with the same metadata succeeds. The
 * environment's close checks that the normal clean-up leaves nothing either.
 */
@Tag("integration")
@Timeout(240)
class DaemonKillFaultTest {

  private static StallPoints stalls;
  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    stalls = StallPoints.create();
    env = PodTestEnv.startWithConfig("", stalls.cniConfigLines(), stalls.runtimeConfigLines());
    stalls.chainInto(env.dir().resolve("net.d").resolve("10-berth-test.conflist"));
  }

  @AfterAll
  static void close() throws Exception {
    try {
      env.close();
    } finally {
      stalls.close();
    }
  }

  @Test
  void runPodSandboxKilledDuringCniAddIsUndoneAndTheRetrySucceeds() throws Exception {
    PodSandboxConfig config = env.podConfig("crash-run").build();
    stalls.arm(StallPoints.CNI_ADD);
    CompletableFuture<?> call = inFlight(() -> env.runPod(config));
    // The bridge has handed out an IP by now: the plugin after it is the one that stalls.
    String halfMade = stalls.awaitReached(StallPoints.CNI_ADD);

    killAndRestart(call, () -> stalls.release(StallPoints.CNI_ADD));

    assertTrue(pods().stream().noneMatch(p -> p.getId().equals(halfMade)
        || p.getMetadata().getName().equals("crash-run")), pods().toString());
    assertEquals(List.of(), ObjectTraces.of(env, halfMade), "left by the half-made pod");
    String retried = env.runPod(config);
    assertEquals(PodSandboxState.SANDBOX_READY, pod(retried).getState());
    String ip = env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
        .setPodSandboxId(retried).build()).getStatus().getNetwork().getIp();
    assertTrue(ip.startsWith(env.subnetPrefix() + "."), ip);
    removePod(retried);
    assertEquals(List.of(), ObjectTraces.of(env, retried));
  }

  @Test
  void aHalfMadePodWhoseCreationNoteIsUnreadableIsUndoneByIdCgroupIncluded() throws Exception {
    PodSandboxConfig config = env.podConfig("crash-note").build();
    stalls.arm(StallPoints.CNI_ADD);
    CompletableFuture<?> call = inFlight(() -> env.runPod(config));
    String halfMade = stalls.awaitReached(StallPoints.CNI_ADD);
    // While the ADD stalls, the create goes on to pin the pod's namespaces and make its cgroup.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ObjectTraces.of(env, halfMade).stream().noneMatch(trace -> trace.startsWith("cgroup"))) {
      assertTrue(System.nanoTime() < deadline, "the half-made pod's cgroup never appeared: "
          + ObjectTraces.of(env, halfMade));
      Thread.sleep(20);
    }

    killAndRestart(call, () -> {
      stalls.release(StallPoints.CNI_ADD);
      // What a torn write or a newer Berth's note looks like to this one: nothing to read.
      Files.writeString(env.daemon().root().resolve("sandboxes").resolve(halfMade).resolve("creating.json"),
          "{\"formatVersion\": 1, \"spec\": {trunc");
    });

    assertTrue(pods().stream().noneMatch(p -> p.getId().equals(halfMade)), pods().toString());
    assertEquals(List.of(), ObjectTraces.of(env, halfMade), "left by the half-made pod known by its id alone");
    String retried = env.runPod(config);
    assertEquals(PodSandboxState.SANDBOX_READY, pod(retried).getState());
    removePod(retried);
    assertEquals(List.of(), ObjectTraces.of(env, retried));
  }

  @Test
  void runPodSandboxKilledDuringTheInfraCreateIsUndoneAndTheRetrySucceeds() throws Exception {
    PodSandboxConfig config = env.sharedPidPodConfig("crash-infra").build();
    stalls.arm(StallPoints.RUNC_RUN);
    CompletableFuture<?> call = inFlight(() -> env.runPod(config));
    // By now: netns pinned, CNI ADD under way beside the infra's bundle and shim directory.
    String halfMade = stalls.awaitReached(StallPoints.RUNC_RUN);

    // Released, runc run finishes with nobody waiting: an infra running, orphaned, in its cgroup.
    killAndRestart(call, () -> stalls.release(StallPoints.RUNC_RUN));

    assertTrue(pods().stream().noneMatch(p -> p.getId().equals(halfMade)
        || p.getMetadata().getName().equals("crash-infra")), pods().toString());
    assertEquals(List.of(), ObjectTraces.of(env, halfMade), "left by the half-made pod");
    String retried = env.runPod(config);
    assertEquals(PodSandboxState.SANDBOX_READY, pod(retried).getState());
    removePod(retried);
  }

  /**
   * A spare infra whose runc run is under way when the daemon is killed: the run outlives the
   * daemon, and the next one ends it before it discards the spare, so that no infra it would make
   * comes after and stays nobody's.
   */
  @Test
  void aSpareInfraBeingMadeWhenTheDaemonIsKilledIsEndedByTheNextDaemon() throws Exception {
    // Spares are made once a pod needed an infra; the next such pod takes a ready one, and the
    // run that makes up for it is the one held.
    removePod(env.runPod(env.sharedPidPodConfig("spares-wanted").build()));
    awaitReadySpares();
    stalls.arm(StallPoints.RUNC_RUN);
    String pod = env.runPod(env.sharedPidPodConfig("spare-taker").build());
    String spare = stalls.awaitReached(StallPoints.RUNC_RUN);
    assertNotEquals(pod, spare, "the pod took a ready spare");

    env.restartAfterKill();
    pods(); // answered once the start-up, which discards what an earlier daemon left, is done

    assertEquals(List.of(), ObjectTraces.processes(spare), "the held run of the spare, ended by the new daemon");
    assertFalse(Files.exists(sparesDir().resolve(spare)), "the spare, discarded");
    stalls.abandon(StallPoints.RUNC_RUN);
    removePod(pod);
    assertEquals(List.of(), ObjectTraces.of(env, spare));
  }

  private static Path sparesDir() {
    return env.dir().resolve("d").resolve("state").resolve(SpareInfras.NAME);
  }

  /** As many spares as configured, each run to the end (the shim's record of the run is written last). */
  private static void awaitReadySpares() throws Exception {
    int wanted = BerthConfig.defaults().runtime().spareInfras();
    Path shims = env.dir().resolve("d").resolve("state").resolve("shims");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (Stream<Path> entries = Files.list(sparesDir())) {
        List<String> ready = entries.map(p -> p.getFileName().toString()).filter(Ids::isFullId)
            .filter(id -> Files.exists(shims.resolve(id).resolve("detached"))).toList();
        if (ready.size() == wanted) {
          return;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("not " + wanted + " spare infras ready after 60 s");
  }

  @Test
  void createContainerKilledDuringRuncCreateIsUndoneAndTheRetrySucceeds() throws Exception {
    String pod = env.runPod();
    var config = env.containerConfig("crash-create", "sleep", "600").build();
    stalls.arm(StallPoints.RUNC_CREATE);
    CompletableFuture<?> call = inFlight(() -> env.createContainer(pod, config));
    // conmon runs runc create: the rootfs is mounted, the bundle written, conmon is up.
    String halfMade = stalls.awaitReached(StallPoints.RUNC_CREATE);
    assertFalse(ObjectTraces.of(env, halfMade).isEmpty(), "the create had got somewhere");

    // Released, runc create finishes with nobody waiting: a created container, conmon and all.
    killAndRestart(call, () -> stalls.release(StallPoints.RUNC_CREATE));

    assertUndoneAndRetryRuns(pod, halfMade, config);
  }

  /**
   * In a pod with its own user namespace the rootfs is an overlay over idmapped layers in the
   * pod's idmap tree: the restart's undo detaches all of it, and the pod's pins stay for the retry.
   */
  @Test
  void createContainerInAUserNamespacePodKilledDuringRuncCreateIsUndoneAndTheRetrySucceeds() throws Exception {
    dev.berth.cri.v1.IDMapping mapping = dev.berth.cri.v1.IDMapping.newBuilder().setHostId(3_000_000)
        .setLength(65536).build();
    String pod = env.runPod(env.podConfig("crash-userns").setLinux(dev.berth.cri.v1.LinuxPodSandboxConfig.newBuilder()
        .setSecurityContext(dev.berth.cri.v1.LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            dev.berth.cri.v1.NamespaceOption.newBuilder().setPid(dev.berth.cri.v1.NamespaceMode.CONTAINER)
                .setUsernsOptions(dev.berth.cri.v1.UserNamespace.newBuilder()
                    .setMode(dev.berth.cri.v1.NamespaceMode.POD).addUids(mapping).addGids(mapping))))).build());
    var config = env.containerConfig("crash-userns-create", "sleep", "600").build();
    stalls.arm(StallPoints.RUNC_CREATE);
    CompletableFuture<?> call = inFlight(() -> env.createContainer(pod, config));
    String halfMade = stalls.awaitReached(StallPoints.RUNC_CREATE);
    assertTrue(ObjectTraces.of(env, halfMade).stream().anyMatch(trace -> trace.contains("state-idmap")),
        "the half-made container's idmapped rootfs is mounted");

    killAndRestart(call, () -> stalls.release(StallPoints.RUNC_CREATE));

    assertUndoneAndRetryRuns(pod, halfMade, config);
    assertEquals(List.of(), ObjectTraces.of(env, pod));
  }

  /**
   * Through {@code runc start}, as for a handler whose runtime is not runc (the stall wrapper does
   * not say it is runc). runc's own containers are started by the daemon through their exec FIFO
   * (shim {@code ExecFifo}), which it removes before the init is let go: a kill from there on
   * leaves the container running, as here, or, in the microseconds before the init wrote its
   * byte, exited.
   */
  @Test
  void startContainerKilledAfterRuncStartLeavesARunningContainer() throws Exception {
    String pod = env.runPod();
    String id = env.createContainer(pod, env.containerConfig("crash-start", "sh", "-c", "echo up; sleep 600")
        .build());
    long created = env.status(id).getCreatedAt();
    stalls.arm(StallPoints.RUNC_START);
    CompletableFuture<?> call = inFlight(() -> env.runtime().startContainer(
        StartContainerRequest.newBuilder().setContainerId(id).build()));
    stalls.awaitReached(StallPoints.RUNC_START);

    // Released, runc start runs: the process starts but the running record is never saved.
    killAndRestart(call, () -> stalls.release(StallPoints.RUNC_START));

    ContainerStatus status = env.status(id);
    assertEquals(ContainerState.CONTAINER_RUNNING, status.getState(), status.toString());
    assertTrue(status.getStartedAt() >= created && status.getStartedAt() <= System.currentTimeMillis() * 1_000_000L,
        status.toString());
    assertEquals("ok\n", env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("echo", "ok")).setTimeout(10).build()).getStdout().toStringUtf8());
    // The kubelet's retry finds it started: refused as such, and nothing about it changes.
    StatusRuntimeException retry = assertThrowsStatus(() -> env.runtime().startContainer(
        StartContainerRequest.newBuilder().setContainerId(id).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, retry.getStatus().getCode(), retry.toString());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(id).getState());
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
    assertEquals(ContainerState.CONTAINER_EXITED, env.awaitExit(id).getState());
    removePod(pod);
    assertEquals(List.of(), ObjectTraces.of(env, id));
  }

  @Test
  void aContainerStartedAndExitedWhileTheDaemonWasDownIsRecordedWithItsExit() throws Exception {
    String pod = env.runPod();
    String id = env.createContainer(pod, env.containerConfig("crash-quick", "sh", "-c", "exit 7").build());
    stalls.arm(StallPoints.RUNC_START);
    CompletableFuture<?> call = inFlight(() -> env.runtime().startContainer(
        StartContainerRequest.newBuilder().setContainerId(id).build()));
    stalls.awaitReached(StallPoints.RUNC_START);

    killAndRestart(call, () -> {
      stalls.release(StallPoints.RUNC_START);
      // conmon outlives the daemon and writes the exit file for it.
      Thread.sleep(500);
    });

    ContainerStatus status = env.awaitExit(id);
    assertEquals(7, status.getExitCode(), status.toString());
    assertTrue(status.getStartedAt() > 0 && status.getStartedAt() <= status.getFinishedAt(), status.toString());
    removePod(pod);
    assertEquals(List.of(), ObjectTraces.of(env, id));
  }

  @Test
  void stopContainerKilledDuringTheGracePeriodIsFinishedByTheRetry() throws Exception {
    String pod = env.runPod();
    // sh as pid 1 with SIGTERM ignored: only the SIGKILL after the timeout ends it.
    String id = env.runContainer(pod, env.containerConfig("crash-stop", "sh", "-c",
        "trap '' TERM; while true; do sleep 1; done").build());
    CompletableFuture<?> call = inFlight(() -> env.runtime().stopContainer(
        StopContainerRequest.newBuilder().setContainerId(id).setTimeout(30).build()));
    Thread.sleep(1_500);
    // Seen once under load: the call was already done here. Its outcome says whether it failed
    // (and how) or stopped the container: the container's state and the daemon log then say why.
    assertFalse(call.isDone(), () -> "StopContainer is waiting out its grace period, but it ended: "
        + outcome(call) + "; container " + env.status(id).getState());

    killAndRestart(call, () -> {});

    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(id).getState(), "SIGTERM was ignored");
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
    ContainerStatus stopped = env.status(id);
    assertEquals(ContainerState.CONTAINER_EXITED, stopped.getState());
    assertEquals(137, stopped.getExitCode(), stopped.toString());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    assertEquals(List.of(), containersOf(pod));
    removePod(pod);
    assertEquals(List.of(), ObjectTraces.of(env, id));
    assertEquals(List.of(), ObjectTraces.of(env, pod));
  }

  @Test
  void removePodSandboxKilledDuringCniDelIsFinishedByTheRetry() throws Exception {
    String pod = env.runPod(env.podConfig("crash-remove").build());
    String container = env.runContainer(pod, env.containerConfig("inside", "sleep", "600").build());
    stalls.arm(StallPoints.CNI_DEL);
    CompletableFuture<?> call = inFlight(() -> env.runtime().removePodSandbox(
        RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build()));
    // The container and the infra are stopped; the bridge still holds the pod's IP.
    stalls.awaitReached(StallPoints.CNI_DEL);

    killAndRestart(call, () -> stalls.release(StallPoints.CNI_DEL));

    // The record stays until every side effect is undone: the pod is there, not ready.
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, pod(pod).getState());
    assertTrue(containersOf(pod).stream().allMatch(c -> c.getState() == ContainerState.CONTAINER_EXITED),
        containersOf(pod).toString());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertTrue(pods().stream().noneMatch(p -> p.getId().equals(pod)));
    assertEquals(List.of(), containersOf(pod));
    assertEquals(List.of(), ObjectTraces.of(env, pod), "left by the removed pod");
    assertEquals(List.of(), ObjectTraces.of(env, container), "left by its container");
    // The name is free again.
    removePod(env.runPod(env.podConfig("crash-remove").build()));
  }

  @Test
  void pullImageKilledMidBlobLeavesNoImageAndNoPartialFiles() throws Exception {
    try (StallingRegistry registry = StallingRegistry.start(env.dir())) {
      String reference = registry.host() + "/crash/pulled:v1";
      PullImageRequest pull = PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(reference))
          .build();
      CompletableFuture<?> call = inFlight(() -> env.daemon().client().images(Duration.ofMinutes(2)).pullImage(pull));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!registry.awaitStalled(1) && !call.isDone() && System.nanoTime() < deadline) {
        // The pull fetches the manifest and config first.
      }
      assertFalse(call.isDone(), () -> "the pull ended before its layer stalled: " + outcome(call));
      assertTrue(registry.awaitStalled(0), "the layer download began");

      killAndRestart(call, () -> {});

      assertFalse(env.daemon().client().images(Duration.ofSeconds(30)).imageStatus(ImageStatusRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(reference)).build()).hasImage(), "no image from a cut pull");
      Path images = env.daemon().root().resolve("images");
      assertEquals(List.of(), list(images.resolve("tmp")), "no partial download");
      assertEquals(List.of(), tempFiles(images), "no temp files");
      for (var digest : List.of(registry.image().manifest(), registry.image().config(), registry.image().layerBlob())) {
        assertFalse(Files.exists(images.resolve("blobs").resolve("sha256").resolve(digest.hex())),
            "blob " + digest + " of the cut pull");
      }

      registry.stopStalling();
      String imageRef = env.daemon().client().images(Duration.ofMinutes(2)).pullImage(pull).getImageRef();
      assertEquals(registry.image().imageId(), imageRef);
      String pod = env.runPod();
      String id = env.runContainer(pod, env.containerConfig("pulled", "sh", "-c", "exit 3")
          .setImage(ImageSpec.newBuilder().setImage(reference)).build());
      assertEquals(3, env.awaitExit(id).getExitCode());
      removePod(pod);
      env.daemon().client().images(Duration.ofSeconds(30)).removeImage(RemoveImageRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(reference)).build());
    }
  }

  /** The call under test on a thread of its own: it is cut short when the daemon dies. */
  private static CompletableFuture<?> inFlight(Supplier<?> call) {
    return CompletableFuture.supplyAsync(call);
  }

  /** Something done while the daemon is down. */
  @FunctionalInterface
  private interface WhileDown {
    void run() throws Exception;
  }

  /** After the restart: the half-made container left nothing, its pod is ready, and the kubelet's retry runs. */
  private void assertUndoneAndRetryRuns(String pod, String halfMade, dev.berth.cri.v1.ContainerConfig config)
      throws Exception {
    assertEquals(List.of(), containersOf(pod), "no half-made container is listed");
    assertEquals(List.of(), ObjectTraces.of(env, halfMade), "left by the half-made container");
    assertEquals(PodSandboxState.SANDBOX_READY, pod(pod).getState());
    String retried = env.runContainer(pod, config);
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(retried).getState());
    removePod(pod);
    assertEquals(List.of(), ObjectTraces.of(env, retried));
  }

  private static void killAndRestart(CompletableFuture<?> call, WhileDown whileDown) throws Exception {
    env.restartAfterKill(() -> {
      try {
        call.get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException expected) {
        // The daemon died under the call: the client sees it fail, as the kubelet would.
      }
      whileDown.run();
      return null;
    });
    assertTrue(call.isCompletedExceptionally(), "the call was cut short");
  }

  private static String outcome(CompletableFuture<?> call) {
    try {
      return String.valueOf(call.getNow(null));
    } catch (RuntimeException e) {
      return e.getCause() == null ? e.toString() : e.getCause().toString();
    }
  }

  private static StatusRuntimeException assertThrowsStatus(Runnable call) {
    return org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, call::run);
  }

  private static List<PodSandbox> pods() {
    return env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
  }

  private static PodSandbox pod(String id) {
    return pods().stream().filter(p -> p.getId().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("pod " + id + " not listed"));
  }

  private static List<dev.berth.cri.v1.Container> containersOf(String pod) {
    return env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
        .filter(c -> c.getPodSandboxId().equals(pod)).toList();
  }

  private static void removePod(String pod) {
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  private static List<Path> list(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.toList();
    }
  }

  private static List<Path> tempFiles(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir, 3)) {
      return walk.filter(p -> p.getFileName().toString().startsWith(".tmp-")
          || p.getFileName().toString().contains(".tmp-")).toList();
    }
  }
}
