package dev.berth.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.cgroup.CgroupModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A daemon with everything a pod needs, private to one test class: its own short directory
 * (unix socket paths are limited to 108 bytes), CNI bridge, cgroup root and busybox image.
 * {@link #close} removes every pod through CRI, stops the daemon and checks that nothing is left.
 */
public final class PodTestEnv implements AutoCloseable {

  public static final String IMAGE = "docker.io/library/busybox:berth-test";

  private static final AtomicInteger PODS = new AtomicInteger();

  private final Path dir;
  private final TestNetwork network;
  private final String cgroupRoot;
  private final Path config;
  private final String[] daemonArgs;
  private DaemonProcess daemon;

  private PodTestEnv(Path dir, TestNetwork network, String cgroupRoot, Path config, String[] daemonArgs) {
    this.dir = dir;
    this.network = network;
    this.cgroupRoot = cgroupRoot;
    this.config = config;
    this.daemonArgs = daemonArgs;
  }

  public static PodTestEnv start() throws Exception {
    return start(new String[0]);
  }

  /** With more daemon flags, such as {@code --metrics-address 127.0.0.1:PORT}. */
  public static PodTestEnv start(String... extraDaemonArgs) throws Exception {
    return startWithConfig("", "", "", extraDaemonArgs);
  }

  /** With more top-level config keys (TOML lines, such as {@code streaming_token_ttl_seconds = 3}). */
  public static PodTestEnv startWithTopLevelConfig(String topLevelLines, String... extraDaemonArgs) throws Exception {
    return startWithConfig(topLevelLines, "", "", extraDaemonArgs);
  }

  /** With more lines for the config file's [runtime] table, such as {@code oci_runtime = "..."}. */
  public static PodTestEnv startWithRuntimeConfig(String runtimeLines, String... extraDaemonArgs) throws Exception {
    return startWithConfig("", "", runtimeLines, extraDaemonArgs);
  }

  /**
   * With more lines for the config's top level and its [cni] and [runtime] tables, such as
   * another bin_dirs or oci_runtime.
   */
  public static PodTestEnv startWithConfig(String topLevelLines, String cniLines, String runtimeLines,
      String... extraDaemonArgs) throws Exception {
    runtimeLines = withInfraMode(runtimeLines);
    Path dir = ShortTempDirs.create();
    TestNetwork network = TestNetwork.create(dir);
    String cgroupRoot = "/berthtest-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    Path config = dir.resolve("berth.toml");
    Files.writeString(config, """
        shutdown_timeout_seconds = 5
        streaming_address = "127.0.0.1:0"
        %s
        [cni]
        conf_dir = "%s"
        %s
        [runtime]
        default_cgroup_parent = "%s"
        %s
        """.formatted(topLevelLines, network.confDir(), cniLines, cgroupRoot, runtimeLines));
    PodTestEnv env = new PodTestEnv(dir, network, cgroupRoot, config, extraDaemonArgs);
    env.daemon = DaemonProcess.start(dir.resolve("d"), env.daemonArgs());
    TestImages.importBusybox(env.daemon.client(), dir, IMAGE);
    return env;
  }

  /**
   * Runs whole pod suites in another infra mode: {@code -Dberth.test.infraContainer=when-needed}
   * adds {@code infra_container = "when-needed"} to every daemon's [runtime] table, unless a test
   * names the mode itself.
   */
  public static final String INFRA_MODE_PROPERTY = "berth.test.infraContainer";

  private static String withInfraMode(String runtimeLines) {
    String mode = System.getProperty(INFRA_MODE_PROPERTY, "");
    if (mode.isEmpty() || runtimeLines.contains("infra_container")) {
      return runtimeLines;
    }
    return runtimeLines + "\ninfra_container = \"" + mode + "\"\n";
  }

  public DaemonProcess daemon() {
    return daemon;
  }

  public Path dir() {
    return dir;
  }

  /**
   * The directory holding one controller's files (e.g. "memory") of a container's cgroup, on
   * whichever hierarchy this host has it (a v1 controller's, or the one v2 directory).
   */
  public Path containerCgroup(String controller, String podId, String containerId) {
    return cgroupDir(controller, cgroupRoot + "/" + podId + "/" + containerId);
  }

  /** Like {@link #containerCgroup} for any cgroup path ("/berthtest-1234abcd/POD"). */
  public static Path cgroupDir(String controller, String cgroupPath) {
    return hostCgroups().directory(controller, cgroupPath)
        .orElseThrow(() -> new IllegalStateException("this host mounts no " + controller + " controller"));
  }

  /** The host's cgroups as the daemon sees them: the same model, from the same mountinfo. */
  public static CgroupModel hostCgroups() {
    try {
      return CgroupModel.detect();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("reading this host's cgroup mounts", e);
    }
  }

  /** The cgroup parent every pod of this daemon gets (as "/berthtest-1234abcd"). */
  public String cgroupRoot() {
    return cgroupRoot;
  }

  /** A field of the pod's persisted record, read through verbose PodSandboxStatus (infraPid, cgroupParent). */
  public String podRecordField(String podId, String field) throws IOException {
    String info = runtime().podSandboxStatus(dev.berth.cri.v1.PodSandboxStatusRequest.newBuilder()
        .setPodSandboxId(podId).setVerbose(true).build()).getInfoOrThrow("info");
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(info).get(field).asText();
  }

  public String subnetPrefix() {
    return network.subnetPrefix();
  }

  public RuntimeServiceBlockingStub runtime() {
    return daemon.client().runtime(Duration.ofSeconds(60));
  }

  /** Kills the daemon with SIGKILL and starts a new one on the same root, as after a crash. */
  public void restartAfterKill() throws Exception {
    restartAfterKill(() -> null);
  }

  /** As {@link #restartAfterKill()}, doing {@code whileDown} between the kill and the new start. */
  public void restartAfterKill(java.util.concurrent.Callable<?> whileDown) throws Exception {
    daemon.process().destroyForcibly();
    daemon.awaitExit(Duration.ofSeconds(30));
    daemon.close();
    try {
      whileDown.call();
    } finally {
      daemon = DaemonProcess.start(dir.resolve("d"), daemonArgs());
    }
  }

  /** Something done to the daemon's files while it is down. */
  public interface WhileStopped {
    void run() throws Exception;
  }

  /** Stops the daemon as systemd would (SIGTERM), runs {@code whileStopped}, starts it again on the same root. */
  public void restartAfter(WhileStopped whileStopped) throws Exception {
    daemon.terminate();
    assertEquals(0, daemon.awaitExit(Duration.ofSeconds(60)), daemon.output());
    daemon.close();
    whileStopped.run();
    daemon = DaemonProcess.start(dir.resolve("d"), daemonArgs());
  }

  private String[] daemonArgs() {
    List<String> args = new java.util.ArrayList<>(List.of("--config", config.toString()));
    args.addAll(List.of(daemonArgs));
    return args.toArray(String[]::new);
  }

  public Path logDirectory(String podName) {
    return dir.resolve("logs").resolve(podName);
  }

  public PodSandboxConfig.Builder podConfig(String name) {
    PodSandboxConfig.Builder builder = PodSandboxConfig.newBuilder()
        .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setUid("uid-" + name).setNamespace("berth-test"))
        .setHostname(name)
        .setLogDirectory(logDirectory(name).toString());
    if (!System.getProperty(INFRA_MODE_PROPERTY, "").isEmpty()) {
      // As the kubelet sends a pod without shareProcessNamespace: the CRI default (POD) would
      // ask for a shared PID namespace, which always gets an infra.
      builder.setLinux(dev.berth.cri.v1.LinuxPodSandboxConfig.newBuilder().setSecurityContext(
          dev.berth.cri.v1.LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
              dev.berth.cri.v1.NamespaceOption.newBuilder().setPid(dev.berth.cri.v1.NamespaceMode.CONTAINER))));
    }
    return builder;
  }

  /**
   * A pod whose containers share one PID namespace (shareProcessNamespace): it gets an infra
   * process in every infra mode, for tests about the infra itself.
   */
  public PodSandboxConfig.Builder sharedPidPodConfig(String name) {
    return podConfig(name).setLinux(dev.berth.cri.v1.LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        dev.berth.cri.v1.LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            dev.berth.cri.v1.NamespaceOption.newBuilder().setPid(dev.berth.cri.v1.NamespaceMode.POD))));
  }

  /** Runs a pod with a fresh name and returns its id. */
  public String runPod() {
    return runPod(podConfig("pod" + PODS.incrementAndGet()).build());
  }

  public String runPod(PodSandboxConfig config) {
    return runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
  }

  public ContainerConfig.Builder containerConfig(String name, String... command) {
    return ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName(name))
        .setImage(ImageSpec.newBuilder().setImage(IMAGE))
        .addAllCommand(List.of(command))
        .setLogPath(name + ".log");
  }

  public String createContainer(String podId, ContainerConfig config) {
    return runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(config)
        .build()).getContainerId();
  }

  public String runContainer(String podId, ContainerConfig config) {
    String id = createContainer(podId, config);
    runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    return id;
  }

  public ContainerStatus status(String containerId) {
    return runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(containerId).build()).getStatus();
  }

  public ContainerStatus awaitExit(String containerId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      ContainerStatus status = status(containerId);
      if (status.getState() == ContainerState.CONTAINER_EXITED) {
        return status;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("container " + containerId + " did not exit: " + status);
      }
      Thread.sleep(50);
    }
  }

  public String log(ContainerStatus status) throws IOException {
    return Files.readString(Path.of(status.getLogPath()));
  }

  /** The lines a container wrote, without the CRI log prefix (time, stream, tag). */
  public List<String> logLines(ContainerStatus status) throws IOException {
    return log(status).lines().map(line -> line.split(" ", 4)).map(parts -> parts.length == 4 ? parts[3] : "").toList();
  }

  public void removeAllPods() {
    for (PodSandbox pod : runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
      runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
      runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      removeAllPods();
      daemon.terminate();
      assertEquals(0, daemon.awaitExit(Duration.ofSeconds(60)), daemon.output());
      assertEquals(List.of(), Leftovers.mounts(dir), "mounts left behind");
      assertEquals(List.of(), Leftovers.processes(dir), "processes left behind");
      assertEquals(List.of(), Leftovers.cgroups(cgroupRoot), "cgroups left behind");
    } finally {
      daemon.close();
      hostCgroups().remove(cgroupRoot);
      network.close();
      // Deleting through a leftover mount would reach into it: only a tree with no mounts goes.
      if (Leftovers.mounts(dir).isEmpty()) {
        deleteTree(dir);
      }
    }
  }
}
