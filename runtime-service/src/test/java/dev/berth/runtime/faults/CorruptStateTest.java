package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * State files truncated or garbled while the daemon is down: it starts anyway, sets aside what it
 * cannot read, takes down the live objects behind a lost record (nothing can reach them through
 * CRI any more), and everything else keeps working.
 */
@Tag("integration")
@Timeout(180)
class CorruptStateTest extends PodTestCase {

  @Test
  void unreadableRecordsAreQuarantinedTheirObjectsTakenDownAndTheRestWorks() throws Exception {
    String healthy = env.runPod();
    String kept = env.runContainer(healthy, env.containerConfig("kept", "sleep", "600").build());
    String truncated = env.runContainer(healthy, env.containerConfig("truncated", "sleep", "600").build());
    String lostPod = env.runPod();
    String orphan = env.runContainer(lostPod, env.containerConfig("orphan", "sleep", "600").build());
    String badCache = env.runPod();

    long truncatedShim = Shims.conmonPid(env, truncated);
    long truncatedProcess = Shims.containerPid(env, truncated);
    // 0 for a pod run without an infra (infra_container = "when-needed"); an infra has no conmon.
    long lostInfra = Long.parseLong(env.podRecordField(lostPod, "infraPid"));
    long orphanProcess = Shims.containerPid(env, orphan);
    Path root = env.daemon().root();
    Path state = env.daemon().dir().resolve("state");

    env.restartAfter(() -> {
      truncateToHalf(root.resolve("containers").resolve(truncated).resolve("record.json"));
      Files.writeString(root.resolve("sandboxes").resolve(lostPod).resolve("record.json"), "{\"id\": 12, garbage");
      Files.writeString(root.resolve("cni-cache").resolve(badCache + ".json"), "\0\0\0\0");
      truncateToHalf(root.resolve("images").resolve("images.json"));
    });

    // The readable rest is all there and answers.
    assertEquals(Set.of(healthy, badCache), pods());
    // Read after the first call past Version: the daemon answers Version while it still
    // recovers, and logs the quarantined objects before it serves anything else.
    String log = env.daemon().output();
    assertEquals(PodSandboxState.SANDBOX_READY, podState(healthy));
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(kept).getState());
    assertEquals(Set.of(kept, orphan), env.runtime().listContainers(ListContainersRequest.getDefaultInstance())
        .getContainersList().stream().map(c -> c.getId()).collect(Collectors.toSet()));

    // The unreadable records are kept aside for the operator, and the log names them.
    assertTrue(Files.isRegularFile(root.resolve("containers.quarantine").resolve(truncated).resolve("record.json")));
    assertTrue(Files.isRegularFile(root.resolve("sandboxes.quarantine").resolve(lostPod).resolve("record.json")));
    assertTrue(log.contains("container " + truncated + ": its record was unreadable; what still ran or was "
        + "mounted for it was taken down"), log);
    assertTrue(log.contains("pod sandbox " + lostPod + ": its record was unreadable; what still ran or was "
        + "mounted for it was taken down"), log);

    // What lived behind them is taken down, not leaked.
    for (long pid : List.of(truncatedShim, truncatedProcess, lostInfra).stream()
        .filter(pid -> pid > 0).toList()) {
      assertFalse(Shims.isRunning(pid), "process " + pid + " behind a lost record still runs");
    }
    assertFalse(Files.exists(state.resolve("netns").resolve(lostPod)), "the lost pod's netns is still pinned");
    assertFalse(Files.exists(state.resolve("podns").resolve(lostPod)), "the lost pod's IPC/UTS are still pinned");
    assertEquals(List.of(), Leftovers.mounts(env.dir()).stream()
        .filter(m -> m.contains(truncated) || m.contains(lostPod)).toList());
    assertEquals(List.of(), Leftovers.cgroups(env.cgroupRoot()).stream()
        .filter(c -> c.endsWith(lostPod)).toList());
    assertFalse(Files.exists(env.containerCgroup("memory", healthy, truncated)));
    // A container cannot outlive its pod's record: it is stopped and shown exited for the kubelet to remove.
    assertEquals(ContainerState.CONTAINER_EXITED, env.status(orphan).getState());
    assertFalse(Shims.isRunning(orphanProcess));
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(orphan).build());

    // The image catalog starts empty and is filled again by a pull (here an import).
    assertEquals(0, env.daemon().client().images(java.time.Duration.ofSeconds(30))
        .listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
    TestImages.importBusybox(env.daemon().client(), Files.createDirectories(env.dir().resolve("again")),
        PodTestEnv.IMAGE);
    String fresh = env.runContainer(healthy, env.containerConfig("fresh", "sleep", "600").build());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(fresh).getState());

    // A pod whose CNI cache is garbage can still be stopped and removed.
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(badCache).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(badCache).build());
    assertTrue(Files.exists(root.resolve("cni-cache.quarantine").resolve(badCache + ".json")));

    // Another restart finds everything as it was, and leaves the set-aside objects alone.
    env.restartAfterKill();
    assertEquals(Set.of(healthy), pods());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(kept).getState());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(fresh).getState());
    assertFalse(env.daemon().output().contains("was taken down"), "cleaned again: " + env.daemon().output());
  }

  private static void truncateToHalf(Path file) throws IOException {
    byte[] content = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(content, content.length / 2));
  }

  private static Set<String> pods() {
    return env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
        .map(PodSandbox::getId).collect(Collectors.toSet());
  }

  private static PodSandboxState podState(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getState();
  }
}
