package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.cri.v1.CheckpointContainerRequest;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CheckpointContainer and the restore through CreateContainer with a checkpoint archive as the
 * image. Where {@code criu check} fails (this VM's kernel: CRIU 3.17.1 does not know its vDSO
 * layout), both must refuse with FAILED_PRECONDITION and criu's reason, leaving the container alone.
 */
@Tag("integration")
@Timeout(180)
class CheckpointTest extends PodTestCase {

  private static final String COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done";

  private static Optional<String> criuUnavailable() {
    return new CriuSupport(Path.of("/usr/sbin/criu")).unavailableReason();
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
  void checkpointWhereCriuCannotWorkFailsNamingWhyAndTheContainerKeepsCounting() throws Exception {
    assumeTrue(criuUnavailable().isPresent(), "criu check passes here");
    String pod = env.runPod();
    String id = runCounter(pod, "counter");
    Path archive = env.dir().resolve("counter-checkpoint.tar");

    StatusRuntimeException e = checkpoint(id, archive.toString());

    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
    String message = e.getStatus().getDescription();
    assertTrue(message.contains("checkpoint container " + id + ": CRIU cannot work on this node: `/usr/sbin/criu check` failed"),
        message);
    assertTrue(message.contains(criuUnavailable().orElseThrow()), message);
    assertFalse(Files.exists(archive), "no archive is left behind");
    ContainerStatus status = env.status(id);
    assertEquals(ContainerState.CONTAINER_RUNNING, status.getState());
    int before = lastCount(status);
    awaitCount(status, before + 2);
  }

  @Test
  void restoreFromAnArchiveWhereCriuCannotWorkFailsNamingWhy() throws Exception {
    assumeTrue(criuUnavailable().isPresent(), "criu check passes here");
    String pod = env.runPod();
    Path archive = Files.writeString(env.dir().resolve("some-checkpoint.tar"), "not read before CRIU is known to work");

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.createContainer(pod,
        env.containerConfig("restored").setImage(ImageSpec.newBuilder().setImage(archive.toString())).build()));

    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
    String message = e.getStatus().getDescription();
    assertTrue(message.contains("restore container restored from checkpoint archive " + archive
        + ": CRIU cannot work on this node: `/usr/sbin/criu check` failed"), message);
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
