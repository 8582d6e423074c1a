package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.PodTestCase;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A conmon killed under a running container, or a pod's infra killed: the daemon notices without
 * being asked, kills the orphaned processes, reports the container exited and the pod not ready,
 * and every call afterwards works and leaves nothing behind.
 */
@Tag("integration")
@Timeout(120)
class ShimDeathTest extends PodTestCase {

  @Test
  void aContainerWhoseShimDiesIsReportedExitedAndItsProcessesAreKilled() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("orphan", "sleep", "600").build());
    long process = Shims.containerPid(env, id);
    assertTrue(Shims.isRunning(process));

    Shims.kill(Shims.conmonPid(env, id));

    // No CRI call settles this: the status is only read, so the daemon must have noticed by itself.
    ContainerStatus status = env.awaitExit(id);
    assertEquals("Error", status.getReason());
    assertTrue(status.getMessage().contains("shim") && status.getMessage().contains("died"), status.getMessage());
    assertTrue(status.getExitCode() == 137 || status.getExitCode() == 255, "exit code " + status.getExitCode());
    assertTrue(status.getFinishedAt() >= status.getStartedAt());
    assertFalse(Shims.isRunning(process), "the orphaned container process still runs");

    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    assertFalse(Files.exists(env.daemon().root().resolve("containers").resolve(id)));
    assertEquals(0, env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()
        .stream().filter(c -> c.getId().equals(id)).count());
    removePod(pod);
  }

  @Test
  void stoppingAContainerRightAfterItsShimDiedDoesNotWaitForAnExitThatNeverComes() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("stopped", "sleep", "600").build());
    long process = Shims.containerPid(env, id);

    Shims.kill(Shims.conmonPid(env, id));
    long started = System.nanoTime();
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(30).build());

    ContainerStatus status = env.status(id);
    assertEquals(ContainerState.CONTAINER_EXITED, status.getState());
    assertEquals("Error", status.getReason());
    assertFalse(Shims.isRunning(process));
    assertTrue(System.nanoTime() - started < Duration.ofSeconds(25).toNanos(),
        "stop waited out its 30 s grace period for a conmon that is gone");
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    removePod(pod);
  }

  /**
   * The infra runs without a conmon of its own: it is the process whose death is watched. Killed,
   * it takes the pod's PID namespace with it, and the pod becomes not ready without a CRI call.
   */
  @Test
  void aPodWhoseInfraDiesBecomesNotReadyAndCanBeRemoved() throws Exception {
    String pod = env.runPod(env.sharedPidPodConfig("infra-death").build());
    String id = env.runContainer(pod, env.containerConfig("tenant", "sleep", "600").build());
    long infra = Long.parseLong(env.podRecordField(pod, "infraPid"));
    long tenant = Shims.containerPid(env, id);
    assertFalse(Files.exists(env.daemon().dir().resolve("state/shims").resolve(pod).resolve("conmon.pid")),
        "the infra has no conmon");
    assertTrue(Shims.isRunning(infra));

    Shims.kill(infra);

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (podState(pod) != PodSandboxState.SANDBOX_NOTREADY) {
      assertTrue(System.nanoTime() < deadline, "pod still ready 30 s after its infra died");
      Thread.sleep(50);
    }
    // The kernel ends a PID namespace with its pid 1: the tenant went with the infra.
    assertFalse(Shims.isRunning(tenant), "the pod's container outlived its PID namespace's pid 1");
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(ContainerState.CONTAINER_EXITED, env.status(id).getState());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertFalse(Files.exists(env.daemon().root().resolve("sandboxes").resolve(pod)));
    assertFalse(Files.exists(env.daemon().dir().resolve("state/shims").resolve(pod)));
  }

  private static PodSandboxState podState(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getState();
  }

  private static void removePod(String pod) {
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }
}
