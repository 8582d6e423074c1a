package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeCondition;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.runtime.testing.HostPrograms;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.ShortTempDirs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * runc refusing a bundle that passed our validation, and runc missing altogether: a clear gRPC
 * error carrying runc's own words, nothing left half made, and the same name usable again.
 */
@Tag("integration")
@Timeout(180)
class RuncFailureTest {

  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.start();
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  @Test
  void aPodWhoseSpecRuncRejectsFailsWithRuncsMessageAndLeavesNothing() throws Exception {
    Footprint before = footprint();
    // Namespaced (so it passes our check) but no such file under /proc/sys: only runc finds out.
    var bad = env.podConfig("bad-sysctl").setLinux(LinuxPodSandboxConfig.newBuilder()
        .putSysctls("net.ipv4.berth_no_such_sysctl", "1"));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> env.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(bad).build()));

    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("berth_no_such_sysctl"), e.getStatus().getDescription());
    assertTrue(e.getStatus().getDescription().contains("bad-sysctl"), "names the pod: " + e.getStatus());
    assertEquals(before, footprint(), "the failed pod left something behind");
    String pod = env.runPod(env.podConfig("bad-sysctl").build());
    env.removeAllPods();
    assertFalse(pod.isEmpty());
  }

  @Test
  void aContainerWhoseSpecRuncRejectsFailsWithRuncsMessageAndLeavesNothing() throws Exception {
    String pod = env.runPod();
    Footprint before = footprint();
    Path dir = Files.createDirectories(env.dir().resolve("not-a-file"));
    // A directory bound over a file of the image: valid CRI, but the kernel refuses the mount in runc init.
    var bad = env.containerConfig("over-file", "sleep", "600")
        .addMounts(Mount.newBuilder().setHostPath(dir.toString()).setContainerPath("/etc/passwd"));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.runtime().createContainer(
        CreateContainerRequest.newBuilder().setPodSandboxId(pod).setConfig(bad).build()));

    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    String message = e.getStatus().getDescription();
    assertTrue(message.contains("over-file") && message.contains("/etc/passwd") && message.contains("not a directory"),
        message);
    assertEquals(before, footprint(), "the failed container left something behind");
    String id = env.runContainer(pod, env.containerConfig("over-file", "sleep", "600").build());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(id).getState());
    env.removeAllPods();
  }

  @Test
  void aMissingRuntimeBinaryMakesTheRuntimeNotReadyAndPodsFailUntilItIsInstalled() throws Exception {
    Path bin = ShortTempDirs.create();
    Path runc = bin.resolve("runc");
    try (PodTestEnv missing = PodTestEnv.startWithRuntimeConfig("oci_runtime = \"" + runc + "\"")) {
      RuntimeCondition ready = runtimeReady(missing);
      assertFalse(ready.getStatus());
      assertEquals("RuntimeBinaryMissing", ready.getReason());
      assertTrue(ready.getMessage().contains(runc.toString()), ready.getMessage());

      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, missing::runPod);
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains(runc + " does not exist"), e.getStatus().getDescription());
      assertTrue(missing.daemon().output().contains(runc.toString()), "the daemon's log names the missing runtime");

      // Installed afterwards: no restart needed.
      Files.createSymbolicLink(runc, HostPrograms.runc());
      assertTrue(runtimeReady(missing).getStatus());
      String pod = missing.runPod();
      String id = missing.runContainer(pod, missing.containerConfig("healed", "true").build());
      assertEquals(0, missing.awaitExit(id).getExitCode());

      // Gone again across a restart: the pod, whose shim still holds its infra, stays ready.
      String sleeper = missing.runContainer(pod, missing.containerConfig("sleeper", "sleep", "600").build());
      missing.restartAfter(() -> Files.delete(runc));
      try {
        assertFalse(runtimeReady(missing).getStatus());
        assertEquals(PodSandboxState.SANDBOX_READY, missing.runtime().podSandboxStatus(
            PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
        assertEquals(ContainerState.CONTAINER_RUNNING, missing.status(sleeper).getState());
      } finally {
        // Back before the environment closes, whatever the asserts said: removing the pod needs runc.
        Files.createSymbolicLink(runc, HostPrograms.runc());
      }
    } finally {
      Files.deleteIfExists(runc);
      Files.delete(bin);
    }
  }

  private static RuntimeCondition runtimeReady(PodTestEnv target) {
    return target.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList().stream()
        .filter(c -> c.getType().equals("RuntimeReady")).findFirst().orElseThrow();
  }

  private static Footprint footprint() throws Exception {
    return Footprint.take(env.daemon().dir(), env.dir(), env.cgroupRoot());
  }
}
