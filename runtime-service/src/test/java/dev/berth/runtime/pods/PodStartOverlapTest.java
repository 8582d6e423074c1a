package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RunPodSandbox adds the pod's network (CNI ADD) while it creates and starts the infra container.
 * When either half fails, the other half is undone too, whatever the order in which they end:
 * no pod, namespace, address, infra process, mount or cgroup stays behind.
 */
@Tag("integration")
@Timeout(300)
class PodStartOverlapTest extends PodTestCase {

  private Path conflist() {
    return env.dir().resolve("net.d").resolve("10-berth-test.conflist");
  }

  /** The addresses host-local has handed out: one file per address in its data dir. */
  private List<String> allocatedAddresses() throws IOException {
    Path data = env.dir().resolve("ipam").resolve("berth-test");
    if (!Files.isDirectory(data)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(data)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(env.subnetPrefix())).sorted().toList();
    }
  }

  private List<String> pinnedNamespaces() throws IOException {
    Path dir = env.daemon().dir().resolve("state").resolve("netns");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(Path::toString).toList();
    }
  }

  private void assertNothingLeft(List<String> addressesBefore) throws IOException {
    assertEquals(0, env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount(),
        "no pod is listed");
    assertEquals(addressesBefore, allocatedAddresses(), "no address stays allocated");
    assertEquals(List.of(), pinnedNamespaces(), "no network namespace stays pinned");
    assertEquals(List.of(), Leftovers.mounts(env.dir()), "no mount stays");
    String daemon = env.daemon().pid() + ":";
    assertEquals(List.of(), Leftovers.processes(env.dir()).stream().filter(p -> !p.startsWith(daemon)).toList(),
        "no infra or conmon stays");
    assertEquals(List.of(), Leftovers.cgroups(env.cgroupRoot()), "no pod cgroup stays");
  }

  @AfterEach
  void removePods() {
    env.removeAllPods();
  }

  @Test
  void aFailedNetworkAddUndoesTheStartedInfra() throws Exception {
    String original = Files.readString(conflist());
    // A real IPAM failure: a range of one address, which the first pod takes.
    String one = env.subnetPrefix() + ".10";
    Files.writeString(conflist(), original.replace("\"subnet\": \"" + env.subnetPrefix() + ".0/24\"",
        "\"subnet\": \"" + env.subnetPrefix() + ".0/24\", \"rangeStart\": \"" + one + "\", \"rangeEnd\": \"" + one + "\""));
    try {
      String first = env.runPod();
      assertEquals(one, env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(first)
          .build()).getStatus().getNetwork().getIp());
      List<String> allocated = allocatedAddresses();
      for (int i = 0; i < 3; i++) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.runPod());
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getMessage());
        assertTrue(e.getStatus().getDescription().contains("bridge"), e.getMessage());
        assertEquals(1, env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount(),
            "only the first pod is listed");
        assertEquals(allocated, allocatedAddresses(), "the failed pods hold no address");
      }
      env.removeAllPods();
      assertNothingLeft(List.of());
    } finally {
      Files.writeString(conflist(), original);
    }
  }

  @Test
  void aFailedInfraUndoesTheNetworkAddedBesideIt() throws Exception {
    List<String> before = allocatedAddresses();
    // runc fails to write a sysctl value the kernel refuses, after CNI ADD has been started.
    PodSandboxConfig config = env.podConfig("bad-infra")
        .setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("kernel.msgmax", "not-a-number")).build();
    for (int i = 0; i < 3; i++) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> env.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()));
      assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getMessage());
      assertTrue(e.getStatus().getDescription().contains("msgmax"), e.getMessage());
      assertNothingLeft(before);
    }
    // The pod network is still usable afterwards.
    String pod = env.runPod();
    assertEquals(1, env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
    assertTrue(env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getNetwork().getIp().startsWith(env.subnetPrefix() + "."));
  }
}
