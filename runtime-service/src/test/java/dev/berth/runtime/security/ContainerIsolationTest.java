package dev.berth.runtime.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.runtime.testing.PodTestCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a container's processes can see of the node from inside: not the daemon's directories,
 * socket or shim files, not the daemon's or the shims' processes, and no kernel switch to flip.
 * Masked and read-only /proc paths in general are PodSecurityTest's; this adds the ones that act
 * on the whole node.
 */
@Tag("integration")
@Timeout(300)
class ContainerIsolationTest extends PodTestCase {

  private static String pod;
  private static String container;

  @BeforeAll
  static void runAContainerSharingThePodsPidNamespace() {
    pod = env.runPod(env.sharedPidPodConfig("isolation").build());
    container = env.runContainer(pod, env.containerConfig("inside", "sleep", "3600")
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
            .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.POD)))).build());
  }

  private static List<String> inside(String script) {
    ExecSyncResponse response = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(30).build());
    assertEquals(0, response.getExitCode(), response.getStderr().toStringUtf8());
    return response.getStdout().toStringUtf8().lines().toList();
  }

  /** The daemon's files that concern this container, as the host sees them. */
  private static List<Path> daemonFilesOfTheContainer() throws Exception {
    Path state = env.daemon().dir().resolve("state");
    List<Path> paths = new ArrayList<>(List.of(env.daemon().socket(), env.daemon().root(), state, env.dir()));
    for (Path dir : List.of(state.resolve("shims").resolve(container), state.resolve("sockets").resolve(container),
        env.daemon().root().resolve("containers").resolve(container).resolve("bundle"))) {
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(p -> !p.getFileName().toString().equals("rootfs")).forEach(paths::add);
      }
    }
    return paths;
  }

  @Test
  void theDaemonsSocketDirectoriesAndShimFilesDoNotExistInside() throws Exception {
    List<Path> paths = daemonFilesOfTheContainer();
    List<String> names = paths.stream().map(p -> p.getFileName().toString()).toList();
    assertTrue(names.containsAll(List.of("berth.sock", "attach", "ctl", "config.json", "conmon.pid")),
        "the host has them: " + names);
    StringBuilder script = new StringBuilder();
    for (Path path : paths) {
      script.append("[ -e '").append(path).append("' -o -L '").append(path).append("' ] && echo '")
          .append(path).append("';\n");
    }
    script.append("echo checked");
    assertEquals(List.of("checked"), inside(script.toString()));
  }

  @Test
  void procShowsOnlyThePodsProcesses() throws Exception {
    List<String> commands = inside("for p in /proc/[0-9]*; do cat $p/comm 2>/dev/null; done");
    assertTrue(commands.contains("catatonit") && commands.contains("sleep"), commands.toString());
    assertTrue(Set.of("catatonit", "sleep", "sh", "cat").containsAll(commands), "only the pod's processes: " + commands);
    // Neither the daemon's JVM nor this container's conmon has a pid here.
    long conmon = Long.parseLong(Files.readString(env.daemon().dir().resolve("state/shims")
        .resolve(container).resolve("conmon.pid")).trim());
    assertEquals(List.of("absent"), inside("[ -e /proc/" + env.daemon().pid() + "/comm ] || [ -e /proc/" + conmon
        + "/comm ] && echo present || echo absent"));
  }

  @Test
  void theNodesKernelSettingsCannotBeChangedNorItsKeysRead() throws Exception {
    // Each probe names a file this node has (this kernel has no /proc/sysrq-trigger nor
    // /proc/kcore), and writes back the value already there: harmless if a write ever got through.
    for (String file : List.of("/proc/sys/kernel/core_pattern", "/sys/kernel/mm/ksm/run", "/proc/keys")) {
      assertTrue(Files.exists(Path.of(file)), file + " exists on this node");
    }
    assertTrue(Files.readString(Path.of("/proc/keys")).length() > 0, "the node has keys to hide");
    List<String> lines = inside("v=$(cat /proc/sys/kernel/core_pattern);"
        + " (echo \"$v\" > /proc/sys/kernel/core_pattern) 2>/dev/null && echo core-pattern-written || echo core-pattern-refused;"
        + " v=$(cat /sys/kernel/mm/ksm/run);"
        + " (echo \"$v\" > /sys/kernel/mm/ksm/run) 2>/dev/null && echo sys-written || echo sys-refused;"
        + " wc -c < /proc/keys;"
        + " mount -t tmpfs none /mnt 2>/dev/null && echo mounted || echo mount-refused");
    assertEquals(List.of("core-pattern-refused", "sys-refused", "0", "mount-refused"), lines);
  }

  @Test
  void theRootfsSeenInsideIsTheContainersOwn() throws Exception {
    // A file the container writes lands in its own writable layer, never in the host's /.
    String marker = "berth-isolation-" + container.substring(0, 12);
    inside("echo inside > /" + marker);
    assertFalse(Files.exists(Path.of("/", marker)));
    assertEquals(List.of("inside"), inside("cat /" + marker));
  }
}
