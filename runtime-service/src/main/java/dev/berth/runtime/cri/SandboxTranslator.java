package dev.berth.runtime.cri;

import dev.berth.cri.v1.LinuxPodSandboxStatus;
import dev.berth.cri.v1.Namespace;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.PodIP;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.PodSandboxNetworkStatus;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatus;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.Printable;
import dev.berth.runtime.sandbox.PodName;
import dev.berth.runtime.sandbox.PortMapping;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxSpec;
import dev.berth.runtime.sandbox.SandboxState;
import java.util.List;
import java.util.Locale;

/** PodSandbox messages to and from the domain's sandboxes. */
final class SandboxTranslator {

  private SandboxTranslator() {}

  static SandboxSpec spec(PodSandboxConfig config, String runtimeHandler) {
    Validate.present(config.hasMetadata(), "pod sandbox config metadata");
    PodSandboxMetadata metadata = config.getMetadata();
    PodName pod = new PodName(
        Validate.name(metadata.getName(), "pod sandbox config metadata.name"),
        Validate.name(metadata.getUid(), "pod sandbox config metadata.uid"),
        Validate.name(metadata.getNamespace(), "pod sandbox config metadata.namespace"),
        metadata.getAttempt());
    NamespaceOption namespaces = config.getLinux().getSecurityContext().getNamespaceOptions();
    List<PortMapping> ports = config.getPortMappingsList().stream()
        .map(p -> {
          if (p.getContainerPort() <= 0 || p.getContainerPort() > 65535 || p.getHostPort() < 0 || p.getHostPort() > 65535) {
            throw new CriException.InvalidArgument("port mapping " + p.getContainerPort() + ":" + p.getHostPort()
                + " is out of range");
          }
          Validate.text(p.getHostIp(), "pod sandbox config port_mappings host_ip");
          return new PortMapping(p.getProtocol().name().toLowerCase(Locale.ROOT), p.getContainerPort(),
              p.getHostPort(), p.getHostIp());
        })
        .toList();
    String cgroupParent = config.getLinux().getCgroupParent();
    if (!cgroupParent.isEmpty() && (!cgroupParent.startsWith("/") || cgroupParent.contains(".."))) {
      throw new CriException.InvalidArgument("pod sandbox config linux.cgroup_parent \"" + cgroupParent
          + "\" must be an absolute cgroupfs path without '..'");
    }
    Validate.text(cgroupParent, "pod sandbox config linux.cgroup_parent");
    String logDirectory = Validate.noNul(config.getLogDirectory(), "pod sandbox config log_directory");
    if (!logDirectory.isEmpty() && !logDirectory.startsWith("/")) {
      throw new CriException.InvalidArgument("pod sandbox config log_directory " + Printable.quote(logDirectory)
          + " must be an absolute path");
    }
    if (config.getHostname().length() > 64) {
      throw new CriException.InvalidArgument("pod sandbox config hostname is longer than 64 characters");
    }
    // These become lines of the pod's /etc/hostname, /etc/hosts and /etc/resolv.conf.
    Validate.text(config.getHostname(), "pod sandbox config hostname");
    Validate.texts(config.getDnsConfig().getServersList(), "pod sandbox config dns_config.servers");
    Validate.texts(config.getDnsConfig().getSearchesList(), "pod sandbox config dns_config.searches");
    Validate.texts(config.getDnsConfig().getOptionsList(), "pod sandbox config dns_config.options");
    Validate.labels(config.getLabelsMap(), "pod sandbox config labels");
    Validate.annotationKeys(config.getAnnotationsMap(), "pod sandbox config annotations");
    Validate.labels(config.getLinux().getSysctlsMap(), "pod sandbox config linux.sysctls");
    boolean hostNetwork = namespaces.getNetwork() == NamespaceMode.NODE;
    boolean hostIpc = namespaces.getIpc() == NamespaceMode.NODE;
    config.getLinux().getSysctlsMap().keySet().forEach(name -> checkSysctl(name, hostNetwork, hostIpc));
    return new SandboxSpec(pod, config.getHostname(), config.getLogDirectory(),
        config.getDnsConfig().getServersList(), config.getDnsConfig().getSearchesList(),
        config.getDnsConfig().getOptionsList(), ports, config.getLabelsMap(), config.getAnnotationsMap(),
        cgroupParent,
        namespaces.getNetwork() == NamespaceMode.NODE,
        namespaces.getPid() == NamespaceMode.NODE,
        namespaces.getIpc() == NamespaceMode.NODE,
        namespaces.getPid() == NamespaceMode.POD,
        config.getLinux().getSysctlsMap(),
        runtimeHandler,
        UserNamespaceOptions.podMapping(namespaces));
  }

  /**
   * Only sysctls that live in the pod's own namespaces can be set for a pod: net.* in its network
   * namespace, the System V IPC and POSIX queue ones in its IPC namespace. Anything else would
   * change the node.
   */
  private static void checkSysctl(String name, boolean hostNetwork, boolean hostIpc) {
    boolean ipc = name.startsWith("kernel.shm") || name.startsWith("kernel.msg") || name.equals("kernel.sem")
        || name.startsWith("fs.mqueue.");
    boolean net = name.startsWith("net.");
    if (!ipc && !net) {
      throw new CriException.InvalidArgument("sysctl \"" + name + "\" is not namespaced and cannot be set for a pod");
    }
    if (net && hostNetwork) {
      throw new CriException.InvalidArgument("sysctl \"" + name + "\" cannot be set for a pod on the host network");
    }
    if (ipc && hostIpc) {
      throw new CriException.InvalidArgument("sysctl \"" + name + "\" cannot be set for a pod in the host IPC namespace");
    }
  }

  static PodSandboxMetadata metadata(Sandbox sandbox) {
    PodName pod = sandbox.spec().pod();
    return PodSandboxMetadata.newBuilder().setName(pod.name()).setUid(pod.uid()).setNamespace(pod.namespace())
        .setAttempt(pod.attempt()).build();
  }

  static PodSandboxState state(SandboxState state) {
    return state == SandboxState.READY ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
  }

  static PodSandbox summary(Sandbox sandbox) {
    return PodSandbox.newBuilder()
        .setId(sandbox.id())
        .setMetadata(metadata(sandbox))
        .setState(state(sandbox.state()))
        .setCreatedAt(sandbox.createdAtNanos())
        .putAllLabels(sandbox.spec().labels())
        .putAllAnnotations(sandbox.spec().annotations())
        .setRuntimeHandler(sandbox.spec().runtimeHandler())
        .build();
  }

  static PodSandboxStatus status(Sandbox sandbox) {
    PodSandboxNetworkStatus.Builder network = PodSandboxNetworkStatus.newBuilder();
    if (!sandbox.ips().isEmpty()) {
      network.setIp(sandbox.ips().getFirst());
      sandbox.ips().stream().skip(1).forEach(ip -> network.addAdditionalIps(PodIP.newBuilder().setIp(ip)));
    }
    NamespaceOption namespaces = NamespaceOption.newBuilder()
        .setNetwork(sandbox.spec().hostNetwork() ? NamespaceMode.NODE : NamespaceMode.POD)
        .setPid(sandbox.spec().hostPid() ? NamespaceMode.NODE
            : sandbox.spec().sharedPid() ? NamespaceMode.POD : NamespaceMode.CONTAINER)
        .setIpc(sandbox.spec().hostIpc() ? NamespaceMode.NODE : NamespaceMode.POD)
        .setUsernsOptions(UserNamespaceOptions.status(sandbox.spec().userNamespace()))
        .build();
    return PodSandboxStatus.newBuilder()
        .setId(sandbox.id())
        .setMetadata(metadata(sandbox))
        .setState(state(sandbox.state()))
        .setCreatedAt(sandbox.createdAtNanos())
        .setNetwork(network)
        .setLinux(LinuxPodSandboxStatus.newBuilder().setNamespaces(Namespace.newBuilder().setOptions(namespaces)))
        .putAllLabels(sandbox.spec().labels())
        .putAllAnnotations(sandbox.spec().annotations())
        .setRuntimeHandler(sandbox.spec().runtimeHandler())
        .build();
  }
}
