package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.IDMapping;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.UserNamespace;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.MountPropagation;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeHandler;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StatusResponse;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.handler.KernelVersion;
import dev.berth.runtime.sys.ProcFiles;
import dev.berth.runtime.userns.UserNamespaceSupport;
import dev.berth.runtime.testing.PodTestEnv;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runtime handlers through the socket: Status names each with what this node can do, a pod
 * runs on the OCI runtime of its handler, and recursive read-only mounts are read-only all the
 * way down where the handler offers them. Besides runc and crun the daemon has a handler
 * "logged": runc behind a script that logs every call and has no {@code features} command, so it
 * offers no optional feature.
 */
@Tag("integration")
@Timeout(300)
class RuntimeHandlerTest {

  static PodTestEnv env;
  /** A host directory with a tmpfs mounted on its sub-directory "sub", as critest makes it. */
  static Path volume;
  static Path wrapperDir;
  static Path wrapperLog;

  @BeforeAll
  static void start() throws Exception {
    wrapperDir = Files.createTempDirectory("berth-logged-runc");
    wrapperLog = wrapperDir.resolve("calls.log");
    Path wrapper = wrapperDir.resolve("logged-runc");
    Files.writeString(wrapper, """
        #!/bin/sh
        echo "$@" >> %s
        for arg in "$@"; do [ "$arg" = features ] && exit 1; done
        exec /usr/sbin/runc "$@"
        """.formatted(wrapperLog));
    Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    env = PodTestEnv.startWithRuntimeConfig("""
        [runtime.handlers.runc]
        runtime_path = "/usr/sbin/runc"
        [runtime.handlers.crun]
        runtime_path = "/usr/bin/crun"
        [runtime.handlers.logged]
        runtime_path = "%s"
        """.formatted(wrapper));
    volume = Files.createDirectories(env.dir().resolve("rro-volume"));
    Files.createDirectories(volume.resolve("sub"));
    sh("mount -t tmpfs rro-sub " + volume.resolve("sub"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      env.removeAllPods();
    } finally {
      sh("umount " + volume.resolve("sub") + " || true");
      env.close();
      sh("rm -rf " + wrapperDir);
    }
  }

  private static Result sh(String command) throws Exception {
    Process process = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    process.waitFor(30, TimeUnit.SECONDS);
    return new Result(process.exitValue(), output);
  }

  private record Result(int code, String output) {}

  /** What this host offers: rro where the binary's features list it and the kernel has mount_setattr. */
  private static boolean hostOffersRro(String binary) throws Exception {
    Result features = sh(binary + " features");
    return features.code() == 0 && features.output().contains("\"rro\"")
        && KernelVersion.parse(ProcFiles.read(Path.of("/proc/sys/kernel/osrelease"))).hasMountSetattr();
  }

  /**
   * What this host offers a pod with its own user namespace on {@code binary}: the runtime lists
   * "user" among its namespaces, the kernel has mount_setattr, and the daemon's directories can be
   * idmapped (the daemon's own probe, asked of the same directories).
   */
  private static boolean hostOffersUserNamespaces(String binary) throws Exception {
    Result features = sh(binary + " features");
    Path state = env.daemon().dir().resolve("state");
    return features.code() == 0 && features.output().contains("\"user\"")
        && KernelVersion.parse(ProcFiles.read(Path.of("/proc/sys/kernel/osrelease"))).hasMountSetattr()
        && UserNamespaceSupport.problem(List.of(env.daemon().root(), state),
            state.resolveSibling("state-idmap")).isEmpty();
  }

  private static StatusRuntimeException refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  private static String runPod(String handler) {
    return runPod(handler, env.podConfig("pod-" + handler + "-" + System.nanoTime()));
  }

  private static String runPod(String handler, dev.berth.cri.v1.PodSandboxConfig.Builder config) {
    return env.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config)
        .setRuntimeHandler(handler).build()).getPodSandboxId();
  }

  private static ExecSyncResponse exec(String id, String script) {
    return env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(10).build());
  }

  private static Mount.Builder volumeMount() {
    return Mount.newBuilder().setContainerPath("/mnt").setHostPath(volume.toString()).setReadonly(true);
  }

  @Test
  void statusListsEveryHandlerWithWhatThisNodeCanDo() throws Exception {
    StatusResponse status = env.runtime().status(StatusRequest.getDefaultInstance());

    Map<String, RuntimeHandler> handlers = status.getRuntimeHandlersList().stream()
        .collect(Collectors.toMap(RuntimeHandler::getName, h -> h));
    assertEquals(List.of("", "crun", "logged", "runc"), status.getRuntimeHandlersList().stream().map(RuntimeHandler::getName)
        .toList());
    assertEquals(hostOffersRro("/usr/sbin/runc"), handlers.get("").getFeatures().getRecursiveReadOnlyMounts());
    assertEquals(hostOffersRro("/usr/sbin/runc"), handlers.get("runc").getFeatures().getRecursiveReadOnlyMounts());
    assertEquals(hostOffersRro("/usr/bin/crun"), handlers.get("crun").getFeatures().getRecursiveReadOnlyMounts());
    assertEquals(false, handlers.get("logged").getFeatures().getRecursiveReadOnlyMounts());
    assertEquals(hostOffersUserNamespaces("/usr/sbin/runc"), handlers.get("").getFeatures().getUserNamespaces());
    assertEquals(hostOffersUserNamespaces("/usr/sbin/runc"), handlers.get("runc").getFeatures().getUserNamespaces());
    assertEquals(hostOffersUserNamespaces("/usr/bin/crun"), handlers.get("crun").getFeatures().getUserNamespaces());
    // No features document: nothing says the wrapped runtime can join a user namespace.
    assertEquals(false, handlers.get("logged").getFeatures().getUserNamespaces());
    assertTrue(status.getFeatures().getSupplementalGroupsPolicy());
  }

  @Test
  void anUnknownHandlerIsRefusedByName() {
    StatusRuntimeException e = refused(() -> runPod("kata"));

    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("runtime_handler \"kata\" is not configured"),
        e.getStatus().getDescription());
  }

  @Test
  void aPodRunsItsContainersWithTheRuntimeOfItsHandler() throws Exception {
    String pod = runPod("logged", env.sharedPidPodConfig("pod-logged"));
    String container = env.runContainer(pod, env.containerConfig("logged", "sleep", "600").build());
    assertEquals("hello", exec(container, "echo hello").getStdout().toStringUtf8().trim());
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());

    List<String> calls = Files.readAllLines(wrapperLog);
    for (String verb : List.of("create", "start", "exec", "kill", "delete")) {
      assertTrue(calls.stream().anyMatch(c -> c.contains(" " + verb + " ") && c.contains(container)),
          verb + " of the container through the pod's runtime: " + calls);
    }
    // The pod's infra (its containers share one PID namespace) is the pod's runtime's too: run
    // (created and started at once, no conmon), killed and deleted by it.
    for (String verb : List.of("run", "kill", "delete")) {
      assertTrue(calls.stream().anyMatch(c -> c.contains(" " + verb + " ") && c.contains(pod)),
          verb + " of the infra through the pod's runtime: " + calls);
    }
    Path state = env.daemon().dir().resolve("state");
    assertEquals(List.of("features"), calls.stream()
        .filter(c -> !c.startsWith("--root " + state.resolve("runtimes/logged") + " ")).toList());
  }

  /**
   * Debian 12's crun 1.8 refuses a hybrid cgroup layout whose v2 hierarchy holds a controller
   * (here hugetlb); where it can run, a crun pod runs, and where it cannot, crun's own refusal
   * reaches the caller, which shows the pod went to crun and not to runc.
   */
  @Test
  void aCrunPodRunsOnCrun() throws Exception {
    Path state = env.daemon().dir().resolve("state");
    if (hybridWithV2Controllers()) {
      StatusRuntimeException e = refused(() -> runPod("crun"));
      assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("cgroups in hybrid mode not supported"),
          e.getStatus().getDescription());
      return;
    }
    String pod = runPod("crun");
    String container = env.runContainer(pod, env.containerConfig("on-crun", "sleep", "600").build());
    Result crun = sh("/usr/bin/crun --root " + state.resolve("runtimes/crun") + " state " + container);
    assertEquals(0, crun.code(), crun.output());
    assertTrue(crun.output().contains("\"running\""), crun.output());
  }

  private static boolean hybridWithV2Controllers() throws Exception {
    dev.berth.runtime.cgroup.CgroupMounts mounts = dev.berth.runtime.cgroup.CgroupMounts.ofThisProcess();
    if (mounts.version() != dev.berth.runtime.cgroup.CgroupVersion.HYBRID) {
      return false;
    }
    Path unified = mounts.unifiedRoot().resolve("cgroup.controllers");
    return Files.exists(unified) && !Files.readString(unified).isBlank();
  }

  @Test
  void aRecursiveReadOnlyMountIsReadOnlyAllTheWayDown() throws Exception {
    String pod = runPod("");
    if (!hostOffersRro("/usr/sbin/runc")) {
      StatusRuntimeException e = refused(() -> env.createContainer(pod, env.containerConfig("rro", "sleep", "600")
          .addMounts(volumeMount().setRecursiveReadOnly(true)).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      return;
    }
    String rro = env.runContainer(pod, env.containerConfig("rro", "sleep", "600")
        .addMounts(volumeMount().setRecursiveReadOnly(true)).build());
    String ro = env.runContainer(pod, env.containerConfig("ro", "sleep", "600").addMounts(volumeMount()).build());

    assertTrue(exec(rro, "touch /mnt/sub/f 2>&1").getStdout().toStringUtf8().contains("Read-only file system"));
    assertTrue(exec(rro, "touch /mnt/f 2>&1").getStdout().toStringUtf8().contains("Read-only file system"));
    // Plain readonly is the top mount only, as the kubelet has always had it.
    assertEquals(0, exec(ro, "touch /mnt/sub/f").getExitCode());
    assertTrue(exec(ro, "touch /mnt/f 2>&1").getStdout().toStringUtf8().contains("Read-only file system"));
    assertTrue(Files.exists(volume.resolve("sub/f")));
  }

  @Test
  void aRecursiveReadOnlyMountMustBeReadOnlyAndPrivate() {
    String pod = runPod("");
    StatusRuntimeException writable = refused(() -> env.createContainer(pod, env.containerConfig("rro-rw", "true")
        .addMounts(volumeMount().setReadonly(false).setRecursiveReadOnly(true)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, writable.getStatus().getCode());
    assertTrue(writable.getStatus().getDescription().contains("mount /mnt: recursive_read_only needs readonly true"),
        writable.getStatus().getDescription());

    for (MountPropagation propagation : List.of(MountPropagation.PROPAGATION_HOST_TO_CONTAINER,
        MountPropagation.PROPAGATION_BIDIRECTIONAL)) {
      StatusRuntimeException shared = refused(() -> env.createContainer(pod, env.containerConfig("rro-prop", "true")
          .addMounts(volumeMount().setRecursiveReadOnly(true).setPropagation(propagation)).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, shared.getStatus().getCode());
      assertTrue(shared.getStatus().getDescription().contains("needs propagation PROPAGATION_PRIVATE, not "
          + propagation), shared.getStatus().getDescription());
    }
  }

  /**
   * On a handler that does not offer user namespaces (Status says so) a POD user namespace is
   * refused before anything is made, and NODE is the host's namespace, as the kubelet's
   * hostUsers: true. (Pods with their own are UserNamespacePodTest's.)
   */
  @Test
  void userNamespacesAreRefusedClearlyAndNodeIsTheHostsNamespace() throws Exception {
    IDMapping mapping = IDMapping.newBuilder().setContainerId(0).setHostId(1000).setLength(100000).build();
    StatusRuntimeException e = refused(() -> runPod("logged", env.podConfig("userns-pod").setLinux(
        LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
            .setNamespaceOptions(NamespaceOption.newBuilder().setUsernsOptions(UserNamespace.newBuilder()
                .setMode(NamespaceMode.POD).addUids(mapping).addGids(mapping)))))));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("does not support user namespaces on this node"),
        e.getStatus().getDescription());

    String pod = runPod("", env.podConfig("userns-node").setLinux(LinuxPodSandboxConfig.newBuilder()
        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
            .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.NODE))))));
    String id = env.runContainer(pod, env.containerConfig("uid-map", "sleep", "600").build());
    assertEquals(Files.readString(Path.of("/proc/self/uid_map")).strip(),
        exec(id, "cat /proc/self/uid_map").getStdout().toStringUtf8().strip());
  }

  @Test
  void aHandlerWithoutRroRefusesSuchAMountNamingIt() {
    String pod = runPod("logged");
    StatusRuntimeException e = refused(() -> env.createContainer(pod, env.containerConfig("rro-logged", "true")
        .addMounts(volumeMount().setRecursiveReadOnly(true)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("not supported by runtime handler \"logged\""),
        e.getStatus().getDescription());
  }
}
