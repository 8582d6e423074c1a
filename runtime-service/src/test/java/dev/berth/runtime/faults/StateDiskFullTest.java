package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.SmallDisk;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The daemon's root and state on a small tmpfs that a test fills up: creates fail with
 * RESOURCE_EXHAUSTED naming the full disk and leave nothing half made, no record is left
 * truncated, and once space is freed the same calls work and a restart loads everything.
 */
@Tag("integration")
@Timeout(180)
class StateDiskFullTest {

  private static SmallDisk disk;
  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    disk = SmallDisk.mount("48m");
    // No spare infras: made and discarded in the background, they would take and free space on
    // the full disk between the calls this test fails on purpose.
    env = PodTestEnv.startWithConfig("", "", "spare_infras = 0", "--root", disk.dir().resolve("root").toString(),
        "--state", disk.dir().resolve("state").toString());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (env != null) {
        env.close();
      }
      assertEquals(List.of(disk.dir().toString()), Leftovers.mounts(disk.dir()), "mounts left on the small disk");
      assertEquals(List.of(), Leftovers.processes(disk.dir()), "processes left behind");
    } finally {
      disk.close();
    }
  }

  @Test
  void aFullDiskFailsCreatesCleanlyAndTheyWorkOnceSpaceIsFreed() throws Exception {
    String pod = env.runPod(env.podConfig("before").build());
    String running = env.runContainer(pod, env.containerConfig("running", "sleep", "600").build());
    String stopped = env.runContainer(pod, env.containerConfig("stopped", "sleep", "600").build());
    Footprint before = Footprint.take(disk.dir(), disk.dir(), env.cgroupRoot());

    Path filler = disk.dir().resolve("filler");
    assertTrue(disk.fill(filler) > 0);

    StatusRuntimeException runPod = assertThrows(StatusRuntimeException.class, () -> env.runtime().runPodSandbox(
        RunPodSandboxRequest.newBuilder().setConfig(env.podConfig("during")).build()));
    assertNoSpace(runPod);
    StatusRuntimeException create = assertThrows(StatusRuntimeException.class, () -> env.runtime().createContainer(
        CreateContainerRequest.newBuilder().setPodSandboxId(pod).setConfig(env.containerConfig("late", "true"))
            .build()));
    assertNoSpace(create);
    assertEquals(before, Footprint.take(disk.dir(), disk.dir(), env.cgroupRoot()), "a failed create left something behind");
    assertEquals(List.of(pod), env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
        .getItemsList().stream().map(PodSandbox::getId).toList());

    // A stop on a full disk must still end the container and report it, not hang or lie.
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(stopped).setTimeout(2).build());
    assertEquals(ContainerState.CONTAINER_EXITED, env.awaitExit(stopped).getState());
    assertEveryRecordReadable(disk.dir().resolve("root"));

    Files.delete(filler);
    String podAfter = env.runPod(env.podConfig("during").build());
    String late = env.runContainer(pod, env.containerConfig("late", "sleep", "600").build());
    assertEveryRecordReadable(disk.dir().resolve("root"));

    env.restartAfterKill();
    for (String id : List.of(pod, podAfter)) {
      assertEquals(PodSandboxState.SANDBOX_READY, env.runtime().podSandboxStatus(
          dev.berth.cri.v1.PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus().getState());
    }
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(running).getState());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(late).getState());
    assertEquals(ContainerState.CONTAINER_EXITED, env.status(stopped).getState());
  }

  private static void assertNoSpace(StatusRuntimeException e) {
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().toLowerCase(Locale.ROOT).contains("no space left on device"),
        e.getStatus().getDescription());
    assertTrue(e.getStatus().getDescription().contains(disk.dir().toString()), "names the full path: "
        + e.getStatus().getDescription());
  }

  /** Every record on disk parses, and no temp file of an interrupted write is left. */
  private static void assertEveryRecordReadable(Path root) throws IOException {
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String name = file.getFileName().toString();
        assertTrue(!name.contains(".tmp-"), "temp file left: " + file);
        if (name.equals("record.json") || name.equals("images.json")) {
          json.readTree(file.toFile());
        }
      }
    }
  }
}
