package dev.berth.runtime.cri;

import dev.berth.cri.v1.CgroupDriver;
import dev.berth.cri.v1.LinuxRuntimeConfiguration;
import dev.berth.cri.v1.RuntimeCondition;
import dev.berth.cri.v1.RuntimeConfigRequest;
import dev.berth.cri.v1.RuntimeConfigResponse;
import dev.berth.cri.v1.RuntimeStatus;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StatusResponse;
import dev.berth.cri.v1.UpdateRuntimeConfigRequest;
import dev.berth.cri.v1.UpdateRuntimeConfigResponse;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.runtime.BerthVersion;
import dev.berth.runtime.cni.NetworkConfigProbe;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.config.ConfigView;
import java.util.concurrent.atomic.AtomicReference;

/** The answers about the runtime itself: Version, Status, RuntimeConfig and UpdateRuntimeConfig. */
public final class RuntimeInfo {

  static final String RUNTIME_NAME = "berth";
  static final String CRI_API_VERSION = "v1";
  /** The version string containerd and CRI-O answer for the (long frozen) kubelet API field. */
  static final String KUBELET_API_VERSION = "0.1.0";

  private final BerthConfig config;
  private final NetworkConfigProbe network;
  private final AtomicReference<String> podCidr = new AtomicReference<>("");

  public RuntimeInfo(BerthConfig config, NetworkConfigProbe network) {
    this.config = config;
    this.network = network;
  }

  VersionResponse version(VersionRequest request) {
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
        .addConditions(RuntimeCondition.newBuilder().setType("RuntimeReady").setStatus(true))
        .addConditions(RuntimeCondition.newBuilder()
            .setType("NetworkReady")
            .setStatus(networkReadiness.ready())
            .setReason(networkReadiness.reason())
            .setMessage(networkReadiness.message()))
        .build();
    StatusResponse.Builder reply = StatusResponse.newBuilder().setStatus(status);
    if (request.getVerbose()) {
      reply.putInfo("config", ConfigView.toJson(config));
      reply.putInfo("podCIDR", podCidr.get());
    }
    return reply.build();
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
