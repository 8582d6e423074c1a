package dev.berth.runtime.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.Mount;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A create refused half way, after its conmon was started beside the rootfs mount (what refuses
 * it needs the mounted rootfs or the resolved mounts): the caller hears why, and neither that
 * conmon, nor the log file it opened, nor anything else of the create stays behind.
 */
@Tag("integration")
@Timeout(180)
class RefusedCreateTest extends PodTestCase {

  @Test
  void aCreateRefusedAfterItsConmonStartedLeavesNeitherConmonNorLogNorAnythingElse() throws Exception {
    String pod = env.runPod(env.podConfig("refused").build());
    Footprint before = Footprint.take(env.daemon().dir(), env.dir(), env.cgroupRoot());
    Path log = env.logDirectory("refused").resolve("idmapped.log");
    Path data = Files.createDirectories(env.dir().resolve("idmapped-data"));
    IDMapping mapping = IDMapping.newBuilder().setContainerId(0).setHostId(3_000_000).setLength(65536).build();
    // Valid on its own; refused only once the mounts are resolved: the pod has no user namespace of its own.
    var idmapped = env.containerConfig("idmapped", "sleep", "600").addMounts(Mount.newBuilder()
        .setHostPath(data.toString()).setContainerPath("/data").addUidMappings(mapping).addGidMappings(mapping));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.runtime().createContainer(
        CreateContainerRequest.newBuilder().setPodSandboxId(pod).setConfig(idmapped).build()));

    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("own user namespace"), e.getStatus().getDescription());
    assertEquals(before, Footprint.take(env.daemon().dir(), env.dir(), env.cgroupRoot()),
        "the refused create left something behind");
    assertFalse(Files.exists(log), "the log conmon opened for the refused container is left behind");

    String id = env.runContainer(pod, env.containerConfig("idmapped", "sleep", "600").build());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(id).getState());
    assertTrue(Files.exists(log), "the container that ran has its log");
    env.removeAllPods();
  }
}
