package dev.berth.runtime.cri;

import dev.berth.cri.v1.CgroupDriver;
import dev.berth.cri.v1.LinuxRuntimeConfiguration;
import dev.berth.cri.v1.RuntimeCondition;
import dev.berth.cri.v1.RuntimeConfigRequest;
import dev.berth.cri.v1.RuntimeConfigResponse;
import dev.berth.cri.v1.RuntimeFeatures;
import dev.berth.cri.v1.RuntimeHandler;
import dev.berth.cri.v1.RuntimeHandlerFeatures;
import dev.berth.cri.v1.RuntimeStatus;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StatusResponse;
import dev.berth.cri.v1.UpdateRuntimeConfigRequest;
import dev.berth.cri.v1.UpdateRuntimeConfigResponse;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.runtime.BerthVersion;
import dev.berth.runtime.cni.NetworkConfigProbe;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.config.ConfigView;
import dev.berth.runtime.handler.RuntimeHandlers;
import dev.berth.runtime.model.CriException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The answers about the runtime itself: Version, Status, RuntimeConfig and UpdateRuntimeConfig. */
public final class RuntimeInfo {

  private static final Logger log = LoggerFactory.getLogger(RuntimeInfo.class);

  static final String RUNTIME_NAME = "berth";
  static final String CRI_API_VERSION = "v1";
  /** The version string containerd and CRI-O answer for the (long frozen) kubelet API field. */
  static final String KUBELET_API_VERSION = "0.1.0";

  private final BerthConfig config;
  private final NetworkConfigProbe network;
  private final RuntimeBinaries binaries;
  private final RuntimeHandlers handlers;
  private final CriuSupport criu;
  private final AtomicReference<String> podCidr = new AtomicReference<>("");

  public RuntimeInfo(BerthConfig config, NetworkConfigProbe network, RuntimeHandlers handlers, CriuSupport criu) {
    this.config = config;
    this.handlers = handlers;
    this.network = network;
    this.criu = criu;
    this.binaries = new RuntimeBinaries(config.runtime());
    binaries.problem().ifPresent(problem -> log.error("runtime not ready: {}; pods cannot run until it is fixed",
        problem));
  }

  /** Pods and containers cannot be made without the runtime's binaries: fail before touching anything. */
  void requireRuntimeReady() {
    binaries.problem().ifPresent(problem -> {
      throw new CriException.FailedPrecondition("runtime is not ready: " + problem);
    });
  }

  VersionResponse version(VersionRequest request) {
    return versionOf(request);
  }

  /** What Version answers: constants of this build, so a daemon still starting can answer it. */
  public static VersionResponse versionOf(VersionRequest request) {
    return VersionResponse.newBuilder()
        .setVersion(KUBELET_API_VERSION)
        .setRuntimeName(RUNTIME_NAME)
        .setRuntimeVersion(BerthVersion.current())
        .setRuntimeApiVersion(CRI_API_VERSION)
        .build();
  }

  StatusResponse status(StatusRequest request) {
    NetworkConfigProbe.Readiness networkReadiness = network.probe();
    RuntimeStatus status = RuntimeStatus.newBuilder()
        .addConditions(runtimeReady())
        .addConditions(RuntimeCondition.newBuilder()
            .setType("NetworkReady")
            .setStatus(networkReadiness.ready())
            .setReason(networkReadiness.reason())
            .setMessage(networkReadiness.message()))
        .build();
    StatusResponse.Builder reply = StatusResponse.newBuilder().setStatus(status)
        // Supplemental groups come from the image's /etc/group (Merge) or only from the pod (Strict).
        .setFeatures(RuntimeFeatures.newBuilder().setSupplementalGroupsPolicy(true));
    handlers.all().forEach(handler -> reply.addRuntimeHandlers(RuntimeHandler.newBuilder()
        .setName(handler.name())
        .setFeatures(RuntimeHandlerFeatures.newBuilder()
            .setRecursiveReadOnlyMounts(handler.features().recursiveReadOnlyMounts())
            .setUserNamespaces(handler.features().userNamespaces()))));
    if (request.getVerbose()) {
      reply.putInfo("config", ConfigView.toJson(config));
      reply.putInfo("podCIDR", podCidr.get());
      // Whether CheckpointContainer and restores can work on this node, and if not, why.
      reply.putInfo("checkpointRestore", criu.unavailableReason().map(reason -> "unavailable: " + reason)
          .orElse("available: " + criu.binary().map(java.nio.file.Path::toString).orElse("")));
    }
    return reply.build();
  }

  private RuntimeCondition runtimeReady() {
    Optional<String> problem = binaries.problem();
    RuntimeCondition.Builder condition = RuntimeCondition.newBuilder().setType("RuntimeReady")
        .setStatus(problem.isEmpty());
    problem.ifPresent(message -> condition.setReason(RuntimeBinaries.REASON).setMessage(message));
    return condition.build();
  }

  RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
    CgroupDriver driver = switch (config.cgroupDriver()) {
      case CGROUPFS -> CgroupDriver.CGROUPFS;
    };
    return RuntimeConfigResponse.newBuilder()
        .setLinux(LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(driver))
        .build();
  }

  /** The kubelet sends the node's pod CIDR here; CNI plugins that need it read it from us later. */
  UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
    String cidr = request.getRuntimeConfig().getNetworkConfig().getPodCidr();
    if (!cidr.isEmpty()) {
      podCidr.set(cidr);
    }
    return UpdateRuntimeConfigResponse.getDefaultInstance();
  }

  public String podCidr() {
    return podCidr.get();
  }
}
