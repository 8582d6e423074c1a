package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/** The answers the kubelet relies on for missing objects, taken names and bad input. */
@Tag("integration")
@Timeout(300)
class PodErrorsTest extends PodTestCase {


  @Test
  void statusOfAMissingObjectIsNotFound() {
    String missing = Ids.newId();
    assertCode(Status.Code.NOT_FOUND, () -> env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(missing).build()));
    assertCode(Status.Code.NOT_FOUND, () -> env.runtime().containerStatus(
        ContainerStatusRequest.newBuilder().setContainerId(missing).build()));
  }

  @Test
  void stopAndRemoveOfAMissingObjectSucceed() {
    String missing = Ids.newId();
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(missing).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(missing).build());
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(missing).build());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(missing).build());
  }

  @Test
  void aTakenPodNameIsRefusedNamingTheHolder() {
    PodSandboxConfig config = env.podConfig("twin").build();
    String first = env.runPod(config);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.runPod(config));
    assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(first), e.getStatus().getDescription());
  }

  @Test
  void aTakenContainerNameIsRefusedNamingTheHolder() {
    String pod = env.runPod();
    String first = env.createContainer(pod, env.containerConfig("same", "true").build());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> env.createContainer(pod, env.containerConfig("same", "true").build()));
    assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(first), e.getStatus().getDescription());
  }

  @Test
  void idsThatCannotBeOursAreMissingObjectsAndAnEmptyIdIsInvalid() {
    for (String foreign : new String[] {"6f3c2d9e-1b2a-4c5d-8e7f-0123456789ab", "../etc", "/abs", "ABCDEF", "a/b"}) {
      assertCode(Status.Code.NOT_FOUND, () -> env.runtime().podSandboxStatus(
          PodSandboxStatusRequest.newBuilder().setPodSandboxId(foreign).build()));
      env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(foreign).build());
    }
    assertCode(Status.Code.INVALID_ARGUMENT, () -> env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId("").build()));
    assertCode(Status.Code.INVALID_ARGUMENT, () -> env.runtime().removeContainer(
        RemoveContainerRequest.newBuilder().setContainerId("").build()));
  }

  @Test
  void emptyOrPathLikeMetadataIsRefusedAndLeavesNothing() throws Exception {
    int podsBefore = env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount();
    assertCode(Status.Code.INVALID_ARGUMENT, () -> env.runtime().runPodSandbox(RunPodSandboxRequest.getDefaultInstance()));
    for (String name : new String[] {"", "..", "a/b"}) {
      PodSandboxConfig config = env.podConfig("x").setMetadata(
          PodSandboxMetadata.newBuilder().setName(name).setUid("u").setNamespace("n")).build();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.runPod(config));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("metadata.name"), e.getStatus().getDescription());
    }
    String pod = env.runPod();
    long rootfsMountsBefore = rootfsMounts();
    assertCode(Status.Code.INVALID_ARGUMENT, () -> env.createContainer(pod,
        env.containerConfig("../evil", "true").build()));
    assertCode(Status.Code.INVALID_ARGUMENT, () -> env.createContainer(pod,
        env.containerConfig("escape", "true").setLogPath("../../../etc/escape.log").build()));
    assertCode(Status.Code.NOT_FOUND, () -> env.createContainer(pod,
        env.containerConfig("noimage", "true").setImage(ImageSpec.newBuilder().setImage("nosuch/image:1")).build()));
    assertCode(Status.Code.NOT_FOUND, () -> env.runtime().createContainer(CreateContainerRequest.newBuilder()
        .setPodSandboxId(Ids.newId()).setConfig(env.containerConfig("orphan", "true")).build()));
    assertEquals(podsBefore + 1,
        env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
    assertEquals(0, env.runtime().listContainers(dev.berth.cri.v1.ListContainersRequest.newBuilder()
        .setFilter(dev.berth.cri.v1.ContainerFilter.newBuilder().setPodSandboxId(pod)).build()).getContainersCount());
    assertEquals(rootfsMountsBefore, rootfsMounts(), "failed creates undo their rootfs mounts");
  }

  private static long rootfsMounts() throws java.io.IOException {
    return Leftovers.mounts(env.dir()).stream().filter(m -> m.endsWith("/bundle/rootfs")).count();
  }

  static void assertCode(Status.Code expected, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(expected, e.getStatus().getCode(), e.getStatus().toString());
  }
}
