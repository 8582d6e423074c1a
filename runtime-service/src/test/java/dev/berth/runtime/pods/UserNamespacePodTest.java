package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.cri.v1.UserNamespace;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.userns.UserNamespaceSupport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pods with a user namespace of their own (userns_options mode POD, KEP-127) through the socket
 * on real runc, conmon, overlayfs and idmapped mounts: what the container's processes see, what
 * lands on the host, and that nothing stays behind, also across a daemon restart. Pods without an
 * infra (pinned namespaces) and with one (a shared PID namespace) both.
 */
@Tag("integration")
@Timeout(300)
class UserNamespacePodTest {

  /** A range no host user has, so that the container's root is nobody on the host. */
  private static final int HOST_ID = 3_000_000;
  private static final int LENGTH = 65536;
  private static final IDMapping MAPPING = IDMapping.newBuilder().setContainerId(0).setHostId(HOST_ID)
      .setLength(LENGTH).build();

  private static PodTestEnv env;
  /** Why this host cannot run such pods (the daemon's own start-up probe, asked here too), or empty. */
  private static Optional<String> hostProblem;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.startWithRuntimeConfig("infra_container = \"when-needed\"");
    Path daemonDir = env.dir().resolve("d");
    hostProblem = UserNamespaceSupport.problem(List.of(daemonDir.resolve("root"), daemonDir.resolve("state")),
        daemonDir.resolve("state-idmap"));
  }

  /**
   * Whether this host runs pods with their own user namespace. Where it cannot (a kernel that
   * cannot idmap the test's filesystems, no unshare), what it must show instead is asserted: such
   * a pod is refused with FAILED_PRECONDITION, and the test has nothing more to check.
   */
  private static boolean hostRunsUsernsPods() {
    if (hostProblem.isEmpty()) {
      return true;
    }
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> env.runPod(pod("refused-here", NamespaceMode.CONTAINER).build()), hostProblem.get());
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode(), refused.getMessage());
    return false;
  }

  @AfterAll
  static void close() throws Exception {
    env.close();
  }

  private static PodSandboxConfig.Builder pod(String name, NamespaceMode pid) {
    return env.podConfig(name).setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
            .setPid(pid)
            .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.POD)
                .addUids(MAPPING).addGids(MAPPING)))));
  }

  private static String exec(String container, String script) {
    ExecSyncResponse reply = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(20).build());
    assertEquals(0, reply.getExitCode(), script + ": " + reply.getStderr().toStringUtf8());
    return reply.getStdout().toStringUtf8().trim();
  }

  private static String sleeper(String pod, String name, Mount... mounts) {
    return env.runContainer(pod, env.containerConfig(name, "sleep", "3600").addAllMounts(List.of(mounts)).build());
  }

  private static void removePod(String pod) {
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  /** Mounts and files of the daemon's that name the pod: pins, idmapped mounts, bundles. */
  private static List<String> traces(String pod) throws Exception {
    List<String> found = new java.util.ArrayList<>(Leftovers.mounts(env.dir()).stream()
        .filter(point -> point.contains(pod)).toList());
    Path state = env.dir().resolve("d").resolve("state");
    for (Path path : List.of(state.resolve("podns").resolve(pod), state.resolve("netns").resolve(pod),
        env.dir().resolve("d").resolve("state-idmap").resolve(pod))) {
      if (Files.exists(path)) {
        found.add(path.toString());
      }
    }
    return found;
  }

  private static String daemonLog() {
    try {
      return env.daemon().output();
    } catch (Exception e) {
      return e.toString();
    }
  }

  @Test
  void statusOffersUserNamespacesWhereTheKernelIdmapsAndRuncJoins() {
    // Offered exactly where the host's probe says it can be (runc 1.1 lists "user" in its features).
    var handlers = env.runtime().status(StatusRequest.getDefaultInstance()).getRuntimeHandlersList();
    assertTrue(handlers.stream().filter(h -> h.getName().isEmpty() || h.getName().equals("runc"))
        .allMatch(h -> h.getFeatures().getUserNamespaces() == hostProblem.isEmpty()),
        hostProblem.orElse("this host idmaps") + ": " + handlers + daemonLog());
    // crun 1.8 has no features document: nothing says it can join a user namespace.
    assertTrue(handlers.stream().filter(h -> h.getName().equals("crun"))
        .noneMatch(h -> h.getFeatures().getUserNamespaces()), handlers.toString());
  }

  @Test
  void theContainerRunsAsRootOfThePodsMappingAndSeesItsImageOwnedByRoot() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-ids", NamespaceMode.CONTAINER).build());
    String container = sleeper(pod, "ids");

    assertEquals("0 " + HOST_ID + " " + LENGTH, exec(container, "cat /proc/self/uid_map").replaceAll("\\s+", " "));
    assertEquals("0 " + HOST_ID + " " + LENGTH, exec(container, "cat /proc/self/gid_map").replaceAll("\\s+", " "));
    assertEquals("0:0", exec(container, "id -u; id -g").replace('\n', ':'));
    // The image's files, root's on the host's disk, are root's inside without a chown.
    assertEquals("0:0 0:0 0:0", exec(container, "stat -c %u:%g / /bin/busybox /etc/passwd").replace('\n', ' '));
    // What root writes into its rootfs is root's too; the pod files are root's.
    assertEquals("0:0", exec(container, "touch /new-file && stat -c %u:%g /new-file"));
    assertEquals("0:0 0:0", exec(container, "stat -c %u:%g /etc/hosts /etc/resolv.conf").replace('\n', ' '));
    // The pod's hostname, in a UTS namespace that the pod's user namespace owns.
    assertEquals("userns-ids", exec(container, "hostname"));
    UserNamespace reported = env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
        .setPodSandboxId(pod).build()).getStatus().getLinux().getNamespaces().getOptions().getUsernsOptions();
    assertEquals(NamespaceMode.POD, reported.getMode());
    assertEquals(List.of(MAPPING), reported.getUidsList());

    // On the host the process is the mapped id, not root.
    String hostUids = Files.readAllLines(Path.of("/proc", Long.toString(hostPid(container)), "status")).stream()
        .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow();
    assertEquals("Uid: " + HOST_ID + " " + HOST_ID + " " + HOST_ID + " " + HOST_ID,
        hostUids.replaceAll("\\s+", " ").trim());
    removePod(pod);
  }

  @Test
  void theIdmapTreeIsSearchableButNotListableAndEachPodsTreeIsItsRootsAlone() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-modes", NamespaceMode.CONTAINER).build());
    String container = sleeper(pod, "modes");
    Path idmap = env.dir().resolve("d").resolve("state-idmap");
    assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(idmap)));
    for (Path tree : List.of(idmap.resolve(pod), idmap.resolve(pod).resolve(container))) {
      assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tree)), tree.toString());
      assertEquals(HOST_ID, (int) Files.getAttribute(tree, "unix:uid"), tree.toString());
    }
    // The state directory itself stays private.
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        env.dir().resolve("d").resolve("state"))));
    removePod(pod);
  }

  /** The host pid of the container's main process, from its verbose status (the record's "pid"). */
  private static long hostPid(String container) {
    String info = env.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(container)
        .setVerbose(true).build()).getInfoOrThrow("info");
    Matcher pid = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)").matcher(info);
    assertTrue(pid.find(), info);
    return Long.parseLong(pid.group(1));
  }

  @Test
  void aHostPathVolumeIsIdmappedSoFilesKeepTheirIdsBothWays() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    Path volume = Files.createDirectories(env.dir().resolve("volume-" + System.nanoTime()));
    Files.writeString(volume.resolve("from-host"), "host\n");
    dev.berth.linux.Syscalls.lchown(volume.resolve("from-host"), 1234, 1234);
    String pod = env.runPod(pod("userns-volume", NamespaceMode.CONTAINER).build());
    String container = sleeper(pod, "writer", Mount.newBuilder().setContainerPath("/data")
        .setHostPath(volume.toString()).build());

    assertEquals("1234:1234", exec(container, "stat -c %u:%g /data/from-host"));
    exec(container, "echo root > /data/by-root && mkdir /data/sub && chown 1000:1000 /data/sub");
    // Written by the pod's root (host uid 3000000): on the host it is uid 0, as inside.
    assertEquals(0, (int) Files.getAttribute(volume.resolve("by-root"), "unix:uid"));
    assertEquals(1000, (int) Files.getAttribute(volume.resolve("sub"), "unix:uid"));
    assertEquals(1000, (int) Files.getAttribute(volume.resolve("sub"), "unix:gid"));
    removePod(pod);
    assertEquals(List.of(), traces(pod));
  }

  @Test
  void anImageVolumeShowsTheImagesFilesOwnedByRoot() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-image-volume", NamespaceMode.CONTAINER).build());
    String container = sleeper(pod, "with-image", Mount.newBuilder().setContainerPath("/iv")
        .setImage(dev.berth.cri.v1.ImageSpec.newBuilder().setImage(PodTestEnv.IMAGE)).build());

    assertEquals("0:0 0:0", exec(container, "stat -c %u:%g /iv /iv/bin/busybox").replace('\n', ' '));
    assertEquals("0:0", exec(container, "stat -c %u:%g /bin/busybox"));
    removePod(pod);
    assertEquals(List.of(), traces(pod));
  }

  @Test
  void aMountWithItsOwnMappingLandsOnTheHostAsThatMappingSays() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    Path volume = Files.createDirectories(env.dir().resolve("mapped-volume-" + System.nanoTime()));
    dev.berth.linux.Syscalls.lchown(volume, 5000, 5000);
    String pod = env.runPod(pod("userns-mount-mapping", NamespaceMode.CONTAINER).build());
    // Disk id 5000 is the pod's root (host 3000000): what it writes lands as 5000.
    IDMapping own = IDMapping.newBuilder().setContainerId(5000).setHostId(HOST_ID).setLength(1).build();
    String container = sleeper(pod, "mapped", Mount.newBuilder().setContainerPath("/mapped")
        .setHostPath(volume.toString()).addUidMappings(own).addGidMappings(own).build());

    // The directory, 5000's on disk, is the container root's through this mount.
    assertEquals("0:0", exec(container, "stat -c %u:%g /mapped"));
    exec(container, "echo x > /mapped/file");
    assertEquals(5000, (int) Files.getAttribute(volume.resolve("file"), "unix:uid"));
    assertEquals(5000, (int) Files.getAttribute(volume.resolve("file"), "unix:gid"));
    assertEquals("0:0", exec(container, "stat -c %u:%g /mapped/file"));
    removePod(pod);
  }

  @Test
  void aVolumeThatCannotBeIdmappedFailsTheCreateAndLeavesNothingOfIt() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-undo", NamespaceMode.CONTAINER).build());
    String kept = sleeper(pod, "kept");
    Path podTree = env.dir().resolve("d").resolve("state-idmap").resolve(pod);
    List<String> before = Leftovers.mounts(env.dir()).stream().filter(point -> point.contains(pod)).toList();

    var refusal = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
        () -> sleeper(pod, "on-proc", Mount.newBuilder().setContainerPath("/host-proc").setHostPath("/proc").build()));
    assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, refusal.getStatus().getCode());
    assertTrue(refusal.getStatus().getDescription().startsWith("mount of /proc in a pod with its own user namespace"),
        refusal.getStatus().getDescription());

    // The failed container's rootfs overlay, idmapped layers and binds are gone; the other's stay.
    assertEquals(before, Leftovers.mounts(env.dir()).stream().filter(point -> point.contains(pod)).toList());
    try (var trees = Files.list(podTree)) {
      assertEquals(List.of(kept), trees.map(p -> p.getFileName().toString()).toList());
    }
    assertEquals("0:0", exec(sleeper(pod, "after-undo"), "stat -c %u:%g /bin/busybox"));
    removePod(pod);
    assertEquals(List.of(), traces(pod));
  }

  @Test
  void aNonRootUserOfThePodWritesAsItsOwnIdAndExecRunsInTheNamespaceToo() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-user", NamespaceMode.CONTAINER).build());
    String container = env.runContainer(pod, env.containerConfig("nonroot", "sleep", "3600")
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
            .setRunAsUser(Int64Value.newBuilder().setValue(1000)))).build());

    assertEquals("1000", exec(container, "id -u"));
    assertEquals("0 " + HOST_ID + " " + LENGTH, exec(container, "cat /proc/self/uid_map").replaceAll("\\s+", " "));
    removePod(pod);
  }

  @Test
  void aPodWithAnInfraSharesItsPidNamespaceInsideTheUserNamespace() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-infra", NamespaceMode.POD).build());
    String first = sleeper(pod, "first");
    String second = sleeper(pod, "second");

    assertEquals("0 " + HOST_ID + " " + LENGTH, exec(second, "cat /proc/self/uid_map").replaceAll("\\s+", " "));
    // The infra is pid 1 of the pod; both sleeps are visible to each other.
    assertEquals("catatonit", exec(first, "cat /proc/1/comm"));
    assertEquals(2, exec(first, "pidof sleep").split(" ").length);
    assertEquals("0:0", exec(first, "stat -c %u:%g /bin/busybox").trim());
    removePod(pod);
    assertEquals(List.of(), traces(pod));
  }

  @Test
  void nothingStaysAfterRemovalAndAPodKeepsWorkingAcrossADaemonRestart() throws Exception {
    if (!hostRunsUsernsPods()) {
      return;
    }
    String pod = env.runPod(pod("userns-restart", NamespaceMode.CONTAINER).build());
    String before = sleeper(pod, "before");
    assertFalse(traces(pod).isEmpty(), "the pod's pins and idmapped mounts exist while it runs");

    env.restartAfterKill();

    assertEquals("0 " + HOST_ID + " " + LENGTH, exec(before, "cat /proc/self/uid_map").replaceAll("\\s+", " "));
    String after = sleeper(pod, "after");
    assertEquals("0:0", exec(after, "stat -c %u:%g /bin/busybox"));
    assertEquals(exec(before, "readlink /proc/self/ns/user"), exec(after, "readlink /proc/self/ns/user"));
    removePod(pod);
    assertEquals(List.of(), traces(pod));
  }
}
