package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.CheckpointContainerRequest;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.testing.PodTestEnv;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CheckpointContainer and the restore through CreateContainer with a checkpoint archive as the
 * image, with the CRIU this host has ({@code BERTH_TEST_CRIU}, else {@code criu} on the PATH, as
 * the daemon's {@code runtime.criu}). Where it works, a counter is checkpointed and restored into
 * another pod and counts on; where it does not (none installed, or Debian 12's CRIU 3.17 on a
 * newer kernel), both refuse with FAILED_PRECONDITION and CRIU's reason, leaving the container alone.
 */
@Tag("integration")
@Timeout(240)
class CheckpointTest {

  private static final String COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done";
  private static final String TEST_CRIU = System.getenv().getOrDefault("BERTH_TEST_CRIU", "criu");

  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.startWithRuntimeConfig("criu = \"" + TEST_CRIU + "\"");
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  private static Optional<String> criuUnavailable() {
    return new CriuSupport(Path.of(TEST_CRIU)).unavailableReason();
  }

  private String runCounter(String pod, String name) throws Exception {
    String id = env.runContainer(pod, env.containerConfig(name, "sh", "-c", COUNTER).build());
    awaitCount(env.status(id), 2);
    return id;
  }

  private int lastCount(ContainerStatus status) throws Exception {
    List<String> lines = env.logLines(status);
    return lines.isEmpty() ? -1 : Integer.parseInt(lines.getLast());
  }

  private void awaitCount(ContainerStatus status, int atLeast) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (lastCount(status) < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("counter did not reach " + atLeast + ": " + env.log(status));
      }
      Thread.sleep(50);
    }
  }

  private StatusRuntimeException checkpoint(String id, String location) {
    return assertThrows(StatusRuntimeException.class, () -> env.runtime().checkpointContainer(
        CheckpointContainerRequest.newBuilder().setContainerId(id).setLocation(location).build()));
  }

  @Test
  void aCheckpointRestoresIntoAnotherPodAndCountsOnWhereCriuWorks() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("counter", "sh", "-c",
        "echo written-before > /marker; " + COUNTER).build());
    awaitCount(env.status(id), 2);
    Path archive = env.dir().resolve("counter-checkpoint.tar");
    Optional<String> unavailable = criuUnavailable();
    if (unavailable.isPresent()) {
      StatusRuntimeException e = checkpoint(id, archive.toString());
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
      assertTrue(e.getStatus().getDescription().contains("checkpoint container " + id
          + ": CRIU cannot work on this node: " + unavailable.get()), e.getStatus().getDescription());
      assertFalse(Files.exists(archive), "no archive is left behind");
      ContainerStatus status = env.status(id);
      assertEquals(ContainerState.CONTAINER_RUNNING, status.getState());
      awaitCount(status, lastCount(status) + 2);
      return;
    }

    env.runtime().checkpointContainer(CheckpointContainerRequest.newBuilder().setContainerId(id)
        .setLocation(archive.toString()).build());
    assertTrue(Files.size(archive) > 0, "archive written");
    ContainerStatus original = env.status(id);
    assertEquals(ContainerState.CONTAINER_RUNNING, original.getState(), "the original runs on");
    awaitCount(original, lastCount(original) + 2);

    String otherPod = env.runPod(env.podConfig("restored-pod").build());
    String restored = env.createContainer(otherPod, env.containerConfig("restored")
        .setImage(ImageSpec.newBuilder().setImage(archive.toString())).build());
    assertEquals(ContainerState.CONTAINER_CREATED, env.status(restored).getState());
    // A daemon killed between the restore and the start changes nothing.
    env.restartAfterKill();
    assertEquals(ContainerState.CONTAINER_CREATED, env.status(restored).getState());
    env.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(restored).build());
    ContainerStatus status = env.status(restored);
    assertEquals(ContainerState.CONTAINER_RUNNING, status.getState());
    int atRestore = lastCount(status);
    awaitCount(status, atRestore + 3);
    // The log goes on from the checkpoint: one unbroken count, never starting again at 0.
    List<Integer> counts = env.logLines(env.status(restored)).stream().map(Integer::parseInt).toList();
    for (int i = 0; i < counts.size(); i++) {
      assertEquals(i, counts.get(i), "count " + i + " of " + counts);
    }
    assertTrue(counts.size() > atRestore + 2, counts.toString());
    ExecSyncResponse marker = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(restored)
        .addAllCmd(List.of("cat", "/marker")).setTimeout(10).build());
    assertEquals("written-before\n", marker.getStdout().toStringUtf8(), "the rootfs changes came along");
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(id).getState(), "the original still runs");

    // Restored but never started: it is frozen, and a stop must still end it. (A pod of its own:
    // CRIU gives processes back their pids, which a shared PID namespace can hold only once.)
    String thirdPod = env.runPod(env.podConfig("frozen-pod").build());
    String neverStarted = env.createContainer(thirdPod, env.containerConfig("never-started")
        .setImage(ImageSpec.newBuilder().setImage(archive.toString())).build());
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(neverStarted).setTimeout(5).build());
    assertEquals(ContainerState.CONTAINER_EXITED, env.status(neverStarted).getState());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(neverStarted).build());
  }

  @Test
  void restoreFromAFileThatCannotBeRestoredIsRefusedNamingWhy() throws Exception {
    String pod = env.runPod();
    Path archive = Files.writeString(env.dir().resolve("some-checkpoint.tar"), "not read before CRIU is known to work");
    Optional<String> unavailable = criuUnavailable();

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.createContainer(pod,
        env.containerConfig("restored").setImage(ImageSpec.newBuilder().setImage(archive.toString())).build()));

    String message = e.getStatus().getDescription();
    if (unavailable.isPresent()) {
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
      assertTrue(message.contains("restore container restored from checkpoint archive " + archive
          + ": CRIU cannot work on this node: " + unavailable.get()), message);
    } else {
      // CRIU works, so the archive is read: this one is not a checkpoint.
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
      assertTrue(message.startsWith("restore container restored from checkpoint archive " + archive + ": "), message);
    }
  }

  @Test
  void checkpointOfAMissingContainerIsNotFound() {
    StatusRuntimeException e = checkpoint("0123456789abcdef", env.dir().resolve("x.tar").toString());
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.toString());
  }

  @Test
  void checkpointLocationMustBeAnAbsolutePath() throws Exception {
    String pod = env.runPod();
    String id = env.createContainer(pod, env.containerConfig("located", "sleep", "60").build());
    StatusRuntimeException empty = checkpoint(id, "");
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
    assertEquals("checkpoint location is empty", empty.getStatus().getDescription());
    StatusRuntimeException relative = checkpoint(id, "here.tar");
    assertEquals(Status.Code.INVALID_ARGUMENT, relative.getStatus().getCode());
    assertTrue(relative.getStatus().getDescription().contains("\"here.tar\" is not an absolute path"));
  }

  @Test
  void checkpointOfAContainerThatIsNotRunningFailsBeforeAskingCriu() {
    String pod = env.runPod();
    String id = env.createContainer(pod, env.containerConfig("created-only", "sleep", "60").build());
    StatusRuntimeException e = checkpoint(id, env.dir().resolve("created.tar").toString());
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals("checkpoint container " + id + ": it is created, not running", e.getStatus().getDescription());
  }
}
