package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.ObjectTraces;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.StallPoints;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pod's release when one of its steps fails: a CNI plugin chained after the bridge fails DEL
 * as a broken plugin would. Every other step still runs (the pod's shm, namespace pins and
 * network namespace are released, the pod is not ready), the call answers INTERNAL naming the
 * failed step, the record stays, and the kubelet's retry finishes once the plugin works again.
 */
@Tag("integration")
@Timeout(180)
class TeardownFaultTest {

  private static StallPoints plugin;
  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    plugin = StallPoints.create();
    env = PodTestEnv.startWithConfig("", plugin.cniConfigLines(), "");
    plugin.chainInto(env.dir().resolve("net.d").resolve("10-berth-test.conflist"));
  }

  @AfterEach
  void pluginWorksAgain() throws Exception {
    plugin.stopFailing(StallPoints.CNI_DEL);
  }

  @AfterAll
  static void close() throws Exception {
    try {
      env.close();
    } finally {
      plugin.close();
    }
  }

  @Test
  void aStopWhoseCniDelFailsStillReleasesTheRestAndTheRetryFinishes() throws Exception {
    String pod = env.runPod(env.podConfig("del-fails-stop").build());
    assertFalse(mountsOf(pod).isEmpty(), "the pod's shm, pins and netns are mounts");
    plugin.failEvery(StallPoints.CNI_DEL);

    StatusRuntimeException failed = assertThrows(StatusRuntimeException.class, () -> stop(pod));

    assertEquals(Status.Code.INTERNAL, failed.getStatus().getCode(), failed.toString());
    assertTrue(failed.getStatus().getDescription().contains("CNI DEL"), failed.getStatus().getDescription());
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, state(pod));
    assertEquals(List.of(), mountsOf(pod), "the steps after the failed DEL ran, and those before it");

    plugin.stopFailing(StallPoints.CNI_DEL);
    stop(pod);
    remove(pod);
    assertEquals(List.of(), ObjectTraces.of(env, pod), "the retried DEL freed the pod's IP too");
  }

  @Test
  void aRemovalWhoseCniDelFailsKeepsThePodForTheRetry() throws Exception {
    String pod = env.runPod(env.sharedPidPodConfig("del-fails-remove").build());
    plugin.failEvery(StallPoints.CNI_DEL);

    StatusRuntimeException failed = assertThrows(StatusRuntimeException.class, () -> remove(pod));

    assertEquals(Status.Code.INTERNAL, failed.getStatus().getCode(), failed.toString());
    assertTrue(failed.getStatus().getDescription().contains("CNI DEL"), failed.getStatus().getDescription());
    assertTrue(listed(pod), "its record stays until everything it held is gone");
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, state(pod));
    assertEquals(List.of(), mountsOf(pod));

    plugin.stopFailing(StallPoints.CNI_DEL);
    remove(pod);
    assertFalse(listed(pod));
    assertEquals(List.of(), ObjectTraces.of(env, pod));
  }

  private static void stop(String pod) {
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  private static void remove(String pod) {
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  private static PodSandboxState state(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getState();
  }

  private static boolean listed(String pod) {
    return env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
        .anyMatch(p -> p.getId().equals(pod));
  }

  private static List<String> mountsOf(String pod) throws Exception {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(line -> line.contains(pod)).toList();
  }
}
