package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.Container;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.ObjectTraces;
import dev.berth.runtime.testing.PodTestCase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A daemon killed with SIGKILL and started again finds every container as it really is, and
 * lists every one of them from its first answer on (it serves Version while it still recovers).
 */
@Tag("integration")
@Timeout(300)
class PodRecoveryTest extends PodTestCase {


  @Test
  void containersSurviveADaemonKillAndExitsMeanwhileAreRecorded() throws Exception {
    String pod = env.runPod();
    String running = env.runContainer(pod, env.containerConfig("survivor", "sleep", "600").build());
    String exitsLater = env.runContainer(pod, env.containerConfig("later", "sh", "-c", "sleep 2; exit 42").build());
    String exitedBefore = env.runContainer(pod, env.containerConfig("before", "sh", "-c", "exit 5").build());
    ContainerStatus before = env.awaitExit(exitedBefore);
    long runningStartedAt = env.status(running).getStartedAt();

    env.restartAfterKill();
    Thread.sleep(2_500);

    assertEquals(PodSandboxState.SANDBOX_READY, env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
    ContainerStatus survivor = env.status(running);
    assertEquals(ContainerState.CONTAINER_RUNNING, survivor.getState());
    assertEquals(runningStartedAt, survivor.getStartedAt());
    ContainerStatus later = env.awaitExit(exitsLater);
    assertEquals(42, later.getExitCode());
    assertTrue(later.getFinishedAt() > later.getStartedAt());
    assertEquals(before, env.status(exitedBefore));
    assertEquals(3, env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()
        .stream().filter(c -> c.getPodSandboxId().equals(pod)).count(), "nothing lost or duplicated");

    assertEquals("alive\n", env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(running)
        .addAllCmd(List.of("echo", "alive")).setTimeout(10).build()).getStdout().toStringUtf8());
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(running).setTimeout(1).build());
    assertEquals(ContainerState.CONTAINER_EXITED, env.status(running).getState());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(running).build());
  }

  @Test
  void theFirstListsAfterARestartHoldEveryPodAndContainerThoughVersionAnswersDuringRecovery() throws Exception {
    List<String> pods = new ArrayList<>();
    List<String> containers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String pod = env.runPod();
      pods.add(pod);
      containers.add(env.runContainer(pod, env.containerConfig("sleeper", "sleep", "600").build()));
    }

    // Returns as soon as the new daemon answers Version, which it does before its recovery ends.
    env.restartAfterKill();

    // The very next calls: each waits for the recovery or sees all of it, never a part (the
    // class's other test may have left its own pod beside these).
    Set<String> listedPods = env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
        .getItemsList().stream().map(PodSandbox::getId).collect(Collectors.toSet());
    Set<String> listedContainers = env.runtime().listContainers(ListContainersRequest.getDefaultInstance())
        .getContainersList().stream().map(Container::getId).collect(Collectors.toSet());
    assertTrue(listedPods.containsAll(pods), "listed " + listedPods + ", made " + pods);
    assertTrue(listedContainers.containsAll(containers), "listed " + listedContainers + ", made " + containers);
    for (String container : containers) {
      assertEquals(ContainerState.CONTAINER_RUNNING, env.status(container).getState());
    }
  }

  /**
   * The infra runs with no conmon: a restarted daemon finds it by its files and runc, keeps the pod
   * and its pid 1, and still notices when it ends.
   */
  @Test
  void aSharedPidPodKeepsItsInfraThroughADaemonKillAndItsEndIsStillNoticed() throws Exception {
    String pod = env.runPod(env.sharedPidPodConfig("recovered-infra").build());
    String tenant = env.runContainer(pod, env.containerConfig("tenant", "sleep", "600").build());
    long infra = Long.parseLong(env.podRecordField(pod, "infraPid"));

    env.restartAfterKill();

    assertEquals(PodSandboxState.SANDBOX_READY, podState(pod));
    assertEquals(Long.toString(infra), env.podRecordField(pod, "infraPid"));
    assertTrue(running(infra), "the infra outlived the daemon");
    assertEquals("/catatonit -P ", env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(tenant)
        .addAllCmd(List.of("sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline")).setTimeout(10).build())
        .getStdout().toStringUtf8(), "the container still sees the infra as its pid 1");

    ProcessHandle.of(infra).orElseThrow().destroyForcibly();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (podState(pod) != PodSandboxState.SANDBOX_NOTREADY) {
      assertTrue(System.nanoTime() < deadline, "the restarted daemon did not notice the infra's end in 30 s");
      Thread.sleep(50);
    }
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(ContainerState.CONTAINER_EXITED, env.status(tenant).getState());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(List.of(), ObjectTraces.of(env, pod));
  }

  private static PodSandboxState podState(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getState();
  }

  /** Alive and not a zombie. */
  private static boolean running(long pid) throws java.io.IOException {
    java.nio.file.Path stat = java.nio.file.Path.of("/proc", Long.toString(pid), "stat");
    if (!java.nio.file.Files.exists(stat)) {
      return false;
    }
    String text = java.nio.file.Files.readString(stat);
    return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
  }
}
