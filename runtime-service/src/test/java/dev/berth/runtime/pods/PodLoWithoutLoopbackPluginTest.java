package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.RuntimeCondition;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.UserNamespace;
import dev.berth.runtime.testing.HostPrograms;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.ShortTempDirs;
import dev.berth.runtime.userns.UserNamespaceSupport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pod's {@code lo} through the socket on a node whose CNI plugin directory holds only what its
 * config names (bridge, host-local, portmap) and no {@code loopback} plugin: Berth brings
 * {@code lo} up itself when it makes the pod's network namespace, for pods without an infra,
 * pods with one (a shared PID namespace) and pods with their own user namespace.
 */
@Tag("integration")
@Timeout(300)
class PodLoWithoutLoopbackPluginTest {

  private static Path pluginDir;
  private static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    pluginDir = ShortTempDirs.create();
    for (String plugin : List.of("bridge", "host-local", "portmap")) {
      Files.createSymbolicLink(pluginDir.resolve(plugin), HostPrograms.cniPluginDir().resolve(plugin));
    }
    env = PodTestEnv.startWithConfig("", "bin_dirs = [\"" + pluginDir + "\"]", "infra_container = \"when-needed\"");
  }

  @AfterAll
  static void close() throws Exception {
    try {
      if (env != null) {
        env.close();
      }
    } finally {
      try (Stream<Path> files = Files.walk(pluginDir)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
    }
  }

  private static String exec(String container, String script) {
    ExecSyncResponse reply = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(20).build());
    assertEquals(0, reply.getExitCode(), script + ": " + reply.getStderr().toStringUtf8());
    return reply.getStdout().toStringUtf8().trim();
  }

  /** What a container of the pod sees of lo: up, a loopback, 127.0.0.1/8, and reachable. */
  private static void assertLoIsUpInside(String pod) {
    String container = env.runContainer(pod, env.containerConfig("lo", "sleep", "600").build());
    int flags = Integer.decode(exec(container, "cat /sys/class/net/lo/flags"));
    assertEquals(0x1, flags & 0x1, "IFF_UP in lo's flags " + Integer.toHexString(flags));
    assertEquals(0x8, flags & 0x8, "IFF_LOOPBACK in lo's flags " + Integer.toHexString(flags));
    String addresses = exec(container, "ip -o addr show dev lo");
    assertTrue(addresses.contains("inet 127.0.0.1/8"), addresses);
    // A listener on 127.0.0.1 answers a client of the same pod. The listener takes connection
    // after connection, and the client keeps its input open for a second: busybox's nc may stop at
    // its input's end before the answer arrives, and a listener of one connection would then be gone.
    assertEquals("over-lo", exec(container,
        "(while :; do echo over-lo | nc -l -p 7070 >/dev/null 2>&1; done &) ; for i in $(seq 20); do "
            + "r=$(sleep 1 | nc 127.0.0.1 7070) && [ -n \"$r\" ] && echo \"$r\" && exit 0; sleep 0.1; done; exit 1"));
  }

  @Test
  void theNodeHasNoLoopbackPluginAndTheNetworkIsStillReady() {
    assertFalse(Files.exists(pluginDir.resolve("loopback")));
    RuntimeCondition network = env.runtime().status(StatusRequest.getDefaultInstance()).getStatus()
        .getConditionsList().stream().filter(c -> c.getType().equals("NetworkReady")).findFirst().orElseThrow();
    assertTrue(network.getStatus(), network.getReason() + ": " + network.getMessage());
  }

  @Test
  void aPodWithoutAnInfraHasLoUpWithTheLoopbackAddress() {
    assertLoIsUpInside(env.runPod());
  }

  @Test
  void aPodSharingOnePidNamespaceHasLoUpWithTheLoopbackAddress() {
    assertLoIsUpInside(env.runPod(env.sharedPidPodConfig("lo-shared-pid").build()));
  }

  @Test
  void aPodWithItsOwnUserNamespaceHasLoUpWithTheLoopbackAddress() throws Exception {
    IDMapping mapping = IDMapping.newBuilder().setContainerId(0).setHostId(3_000_000).setLength(65536).build();
    var config = env.podConfig("lo-userns").setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
            .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.POD)
                .addUids(mapping).addGids(mapping))))).build();
    Path daemonDir = env.dir().resolve("d");
    Optional<String> hostProblem = UserNamespaceSupport.problem(
        List.of(daemonDir.resolve("root"), daemonDir.resolve("state")), daemonDir.resolve("state-idmap"));
    if (hostProblem.isPresent()) {
      // The daemon's own probe says this host cannot: such a pod must be refused, and that is all.
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> env.runPod(config),
          hostProblem.get());
      assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode(), refused.getMessage());
      return;
    }
    assertLoIsUpInside(env.runPod(config));
  }
}
