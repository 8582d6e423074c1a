package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pods run with {@code infra_container = "when-needed"}: no infra process, the pod's network,
 * IPC and UTS namespaces pinned as files that its containers join, through the socket on real
 * runc, conmon, CNI and cgroups.
 */
@Tag("integration")
@Timeout(300)
class NoInfraPodTest {

  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.startWithRuntimeConfig("infra_container = \"when-needed\"");
  }

  @AfterAll
  static void close() throws Exception {
    env.close();
  }

  /** A pod as the kubelet sends one without shareProcessNamespace: one PID namespace per container. */
  private static dev.berth.cri.v1.PodSandboxConfig.Builder pod(String name) {
    return env.podConfig(name).setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER))));
  }

  private static String exec(String container, String script) {
    ExecSyncResponse reply = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(20).build());
    assertEquals(0, reply.getExitCode(), script + ": " + reply.getStderr().toStringUtf8());
    return reply.getStdout().toStringUtf8().trim();
  }

  private static Path pins(String pod) {
    return env.dir().resolve("d").resolve("state").resolve("podns").resolve(pod);
  }

  /** Processes whose command line names the pod, such as the conmon of an infra. */
  private static List<String> processesNaming(String pod) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .map(p -> {
            try {
              return new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
            } catch (IOException gone) {
              return "";
            }
          })
          .filter(cmdline -> cmdline.contains(pod)).toList();
    }
  }

  private static String podIp(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getNetwork().getIp();
  }

  private static PodSandboxState podState(String pod) {
    return env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getState();
  }

  @Test
  void containersShareHostnameIpcAndNetworkWithNoInfraProcess() throws Exception {
    String pod = env.runPod(pod("shared").build());
    assertEquals("0", env.podRecordField(pod, "infraPid"));
    assertEquals(List.of(), processesNaming(pod), "a pod without an infra runs no process of its own");
    assertTrue(Files.isRegularFile(pins(pod).resolve("ipc")) && Files.isRegularFile(pins(pod).resolve("uts")));

    String server = env.runContainer(pod, env.containerConfig("server", "sh", "-c",
        "while true; do echo hello-over-loopback | nc -l -p 7777; done").build());
    String client = env.runContainer(pod, env.containerConfig("client", "sleep", "600").build());

    assertEquals("shared", exec(server, "hostname"));
    assertEquals("shared", exec(client, "hostname"));
    String ipc = exec(server, "readlink /proc/self/ns/ipc");
    assertEquals(ipc, exec(client, "readlink /proc/self/ns/ipc"));
    assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/ipc")).toString(), ipc,
        "the pod has an IPC namespace of its own");
    assertEquals(exec(server, "readlink /proc/self/ns/uts"), exec(client, "readlink /proc/self/ns/uts"));
    assertEquals(exec(server, "readlink /proc/self/ns/net"), exec(client, "readlink /proc/self/ns/net"));

    String ip = podIp(pod);
    assertTrue(exec(server, "ip -4 addr show eth0").contains(ip + "/"));
    assertTrue(exec(client, "ip -4 addr show eth0").contains(ip + "/"));
    String reply = "";
    for (int attempt = 0; attempt < 50 && !reply.equals("hello-over-loopback"); attempt++) {
      ExecSyncResponse r = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(client)
          .addAllCmd(List.of("sh", "-c", "nc 127.0.0.1 7777 </dev/null")).setTimeout(10).build());
      reply = r.getStdout().toStringUtf8().trim();
      if (!reply.equals("hello-over-loopback")) {
        Thread.sleep(100);
      }
    }
    assertEquals("hello-over-loopback", reply);

    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertFalse(Files.exists(pins(pod)), "StopPodSandbox unpins the pod's namespaces");
    assertEquals(List.of(), Leftovers.mounts(pins(pod)));
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(List.of(), Leftovers.mounts(env.dir().resolve("d").resolve("state").resolve("podns")));
    for (Path hierarchy : Leftovers.cgroupHierarchies()) {
      assertFalse(Files.exists(hierarchy.resolve(env.cgroupRoot().substring(1)).resolve(pod)),
          "RemovePodSandbox removes the pod cgroup from " + hierarchy);
    }
  }

  @Test
  void podCgroupExistsBeforeAnyContainer() throws Exception {
    String pod = env.runPod(pod("cgroup").build());
    // In every hierarchy this host mounts (v1 controllers, hybrid's v2 mount, or the v2 root).
    for (Path hierarchy : Leftovers.cgroupHierarchies()) {
      assertTrue(Files.isDirectory(hierarchy.resolve(env.cgroupRoot().substring(1)).resolve(pod)), hierarchy.toString());
    }
    env.removeAllPods();
    for (Path hierarchy : Leftovers.cgroupHierarchies()) {
      assertFalse(Files.exists(hierarchy.resolve(env.cgroupRoot().substring(1)).resolve(pod)), hierarchy.toString());
    }
  }

  @Test
  void podStaysReadyAcrossADaemonKill() throws Exception {
    String pod = env.runPod(pod("survivor").build());
    String first = env.runContainer(pod, env.containerConfig("first", "sleep", "600").build());
    String ipc = exec(first, "readlink /proc/self/ns/ipc");

    env.restartAfterKill();

    assertEquals(PodSandboxState.SANDBOX_READY, podState(pod));
    assertEquals("survivor", exec(first, "hostname"));
    String second = env.runContainer(pod, env.containerConfig("second", "sleep", "600").build());
    assertEquals(ipc, exec(second, "readlink /proc/self/ns/ipc"));
    assertEquals("survivor", exec(second, "hostname"));
    env.removeAllPods();
    assertFalse(Files.exists(pins(pod)));
  }

  @Test
  void podsThatSharePidsOrSetSysctlsStillGetAnInfra() throws Exception {
    String shared = env.runPod(env.podConfig("sharedpid").setLinux(LinuxPodSandboxConfig.newBuilder()
        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setPid(NamespaceMode.POD)))).build());
    assertNotEquals("0", env.podRecordField(shared, "infraPid"));
    assertFalse(Files.exists(pins(shared)), "a pod with an infra has no pins");
    String sysctl = env.runPod(env.podConfig("sysctl").setLinux(LinuxPodSandboxConfig.newBuilder()
        .putSysctls("kernel.shmmni", "2048").setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
            .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER)))).build());
    assertNotEquals("0", env.podRecordField(sysctl, "infraPid"));
    env.removeAllPods();
  }

  @Test
  void hostNetworkPodPinsOnlyItsIpcNamespace() throws Exception {
    String pod = env.runPod(env.podConfig("hostnet").setLinux(LinuxPodSandboxConfig.newBuilder()
        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER)))).build());
    assertEquals("0", env.podRecordField(pod, "infraPid"));
    assertTrue(Files.exists(pins(pod).resolve("ipc")));
    assertFalse(Files.exists(pins(pod).resolve("uts")));
    String c = env.runContainer(pod, env.containerConfig("c", "sleep", "600").build());
    assertEquals(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(), exec(c, "hostname"));
    env.removeAllPods();
    assertFalse(Files.exists(pins(pod)));
  }
}
