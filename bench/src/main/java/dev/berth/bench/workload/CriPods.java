package dev.berth.bench.workload;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pods the way the kubelet makes them: a sandbox with a log directory (created first, as the
 * kubelet does, since containerd will not create it), one busybox {@code sleep} container, and
 * the kubelet's teardown order (StopContainer, StopPodSandbox, RemovePodSandbox).
 */
public final class CriPods {

  /**
   * How the pod's containers see processes: the two kinds of pod the kubelet makes. Network and
   * IPC are shared by the pod either way.
   */
  public enum PidNamespace {
    /** A PID namespace per container: the kubelet's default (no shareProcessNamespace). */
    PER_CONTAINER(NamespaceMode.CONTAINER),
    /**
     * One PID namespace for the whole pod ({@code shareProcessNamespace: true}): the runtime
     * needs an infra process to hold it (Berth's catatonit run by runc without a conmon, containerd's pause).
     */
    SHARED_BY_POD(NamespaceMode.POD);

    private final NamespaceOption option;

    PidNamespace(NamespaceMode mode) {
      this.option = NamespaceOption.newBuilder().setPid(mode).build();
    }

    NamespaceOption option() {
      return option;
    }
  }

  /** A started pod: what teardown needs. */
  public record Pod(String sandboxId, String containerId, PodSandboxConfig config) {}

  private static final Duration DEADLINE = Duration.ofMinutes(2);

  private final CriClient client;
  private final BenchOptions options;
  private final String cgroupParent;
  private final PidNamespace pidNamespace;
  private final String prefix;
  private final AtomicInteger counter = new AtomicInteger();

  public CriPods(CriClient client, BenchOptions options, Target target) {
    this(client, options, target, PidNamespace.PER_CONTAINER);
  }

  public CriPods(CriClient client, BenchOptions options, Target target, PidNamespace pidNamespace) {
    this.client = client;
    this.options = options;
    this.cgroupParent = target.cgroupParent();
    this.pidNamespace = pidNamespace;
    this.prefix = "bench-" + target.name() + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

  public PidNamespace pidNamespace() {
    return pidNamespace;
  }

  public RuntimeServiceBlockingStub runtime() {
    return client.runtime(DEADLINE);
  }

  public PodSandboxConfig podConfig() {
    String name = prefix + "-" + counter.incrementAndGet();
    Path logs = options.work().resolve("logs").resolve(name);
    try {
      Files.createDirectories(logs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PodSandboxConfig.Builder config = PodSandboxConfig.newBuilder()
        .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("bench")
            .setUid(UUID.randomUUID().toString()))
        .setHostname(name)
        .setLogDirectory(logs.toString());
    // Always explicit, as the kubelet sends it: for a pod without shareProcessNamespace (most
    // pods) the CRI default (POD) would ask for one PID namespace shared by its containers.
    LinuxPodSandboxConfig.Builder linux = LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(pidNamespace.option()));
    if (!cgroupParent.isEmpty()) {
      linux.setCgroupParent(cgroupParent);
    }
    return config.setLinux(linux).build();
  }

  public String runSandbox(PodSandboxConfig config) {
    return runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
  }

  public String createContainer(String sandboxId, PodSandboxConfig podConfig, String name) {
    ContainerConfig container = ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName(name))
        .setImage(ImageSpec.newBuilder().setImage(options.image()))
        .addAllCommand(List.of("sleep", "3600"))
        .setLogPath(name + ".log")
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
            LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(pidNamespace.option())))
        .build();
    return runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandboxId)
        .setConfig(container).setSandboxConfig(podConfig).build()).getContainerId();
  }

  /** RunPodSandbox + CreateContainer + StartContainer: what pod-start times. */
  public Pod start() {
    return start(StepTimes.IGNORED);
  }

  /** As {@link #start()}, handing each call's time (as the client saw it) to {@code times}. */
  public Pod start(StepTimes times) {
    PodSandboxConfig config = podConfig();
    long t0 = System.nanoTime();
    String sandboxId = runSandbox(config);
    long t1 = System.nanoTime();
    String containerId = createContainer(sandboxId, config, "sleep");
    long t2 = System.nanoTime();
    runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
    long t3 = System.nanoTime();
    times.took("RunPodSandbox", t1 - t0);
    times.took("CreateContainer", t2 - t1);
    times.took("StartContainer", t3 - t2);
    return new Pod(sandboxId, containerId, config);
  }

  /** Receives the time of each call of a pod start. */
  @FunctionalInterface
  public interface StepTimes {
    StepTimes IGNORED = (call, nanos) -> {};

    void took(String call, long nanos);
  }

  /** Timeout 0 kills at once: {@code sleep} as pid 1 ignores SIGTERM and would wait out any grace period. */
  public void teardown(Pod pod) {
    runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(pod.containerId()).setTimeout(0).build());
    removeSandbox(pod.sandboxId());
  }

  public void removeSandbox(String sandboxId) {
    runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
    runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
  }

  public void removeContainer(String containerId) {
    runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(containerId).build());
  }
}
