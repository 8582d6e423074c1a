package dev.berth.runtime.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The daemon's effective configuration: built-in defaults, then the TOML file, then flags.
 * Every value has a default that works on a bare node.
 */
public record BerthConfig(
    Path socket,
    Path root,
    Path state,
    LogLevel logLevel,
    CgroupDriver cgroupDriver,
    int shutdownTimeoutSeconds,
    String streamingAddress,
    int streamingTokenTtlSeconds,
    int streamingHandshakeTimeoutSeconds,
    int streamingIdleTimeoutSeconds,
    Cni cni,
    Runtime runtime,
    Registry registry,
    String metricsAddress,
    boolean metricsPerCpuUsage,
    Images images) {

  /** The metrics_address value that turns the /metrics endpoint off. */
  public static final String METRICS_OFF = "off";

  /** Where CNI network configs and plugin binaries live. */
  public record Cni(Path confDir, List<Path> binDirs) {
    public Cni {
      binDirs = List.copyOf(binDirs);
    }
  }

  /**
   * The processes that run containers.
   *
   * @param ociRuntime runc (or crun) binary, the default runtime handler
   * @param defaultCgroupParent where pods go when the kubelet names no cgroup parent
   * @param pidsLimit the most processes one container may have, 0 for no limit
   * @param infraContainer whether every pod gets an infra process, or only pods that need one
   * @param handlers the named runtime handlers (RuntimeClass handlers) and the OCI runtime binary
   *     of each; the default handler {@code ""} is {@code ociRuntime}
   * @param criu the CRIU binary for checkpoint and restore: an absolute path, or a bare name
   *     looked up on the daemon's PATH when it is needed
   * @param spareInfras how many infra processes are kept ready for pods that need one (pods whose
   *     containers share a PID namespace), made once the first such pod was run; 0 for none. A
   *     burst of that many such pods starts without waiting for an infra's runc run
   */
  public record Runtime(Path ociRuntime, Path conmon, Path catatonit, String defaultCgroupParent, long pidsLimit,
      InfraContainer infraContainer, Map<String, Path> handlers, Path criu, int spareInfras) {
    public Runtime {
      handlers = Map.copyOf(handlers);
    }
  }

  /** The handlers every node offers out of the box: Debian's runc and crun. */
  public static final Map<String, Path> DEFAULT_HANDLERS = Map.of(
      "runc", Path.of("/usr/sbin/runc"),
      "crun", Path.of("/usr/bin/crun"));

  /**
   * When a pod gets an infra process (catatonit, run by runc without a conmon) to hold its namespaces.
   * {@code ALWAYS}: every pod, as a pause container does. {@code WHEN_NEEDED}: only pods whose
   * containers share one PID namespace (the infra is their pid 1) or that set sysctls (runc
   * applies them as it creates the infra); the others get their IPC and UTS namespaces pinned
   * as bind-mounted files beside the network namespace, which saves a conmon and a runc
   * create/start per pod.
   */
  public enum InfraContainer {
    ALWAYS("always"), WHEN_NEEDED("when-needed");

    private final String configValue;

    InfraContainer(String configValue) {
      this.configValue = configValue;
    }

    public String configValue() {
      return configValue;
    }

    /** The mode a config value names, or empty for an unknown value. */
    public static java.util.Optional<InfraContainer> fromConfig(String value) {
      return java.util.Arrays.stream(values()).filter(v -> v.configValue.equals(value)).findFirst();
    }
  }

  /**
   * How images are pulled: mirrors per registry host (tried in order before the host) and hosts
   * reached over plain HTTP. Loopback registries are always plain HTTP. A pull that makes no
   * progress for {@code pullProgressTimeoutSeconds} fails.
   */
  public record Registry(Map<String, List<String>> mirrors, List<String> plainHttpHosts,
      int pullProgressTimeoutSeconds) {
    public Registry {
      mirrors = Map.copyOf(mirrors);
      plainHttpHosts = List.copyOf(plainHttpHosts);
    }
  }

  /**
   * Bounds on what an image may make the node store.
   *
   * @param maxLayerUnpackedBytes the most bytes of file content one layer may unpack to; a layer
   *     over it is refused naming the layer and the cap; 0 for no cap
   */
  public record Images(long maxLayerUnpackedBytes) {}

  /** Loopback only: the kubelet on the same node is the one client. A fixed port, so it can be firewalled. */
  public static final String DEFAULT_STREAMING_ADDRESS = "127.0.0.1:10350";

  public static BerthConfig defaults() {
    return new BerthConfig(
        Path.of("/run/berth/berth.sock"),
        Path.of("/var/lib/berth"),
        Path.of("/run/berth"),
        LogLevel.INFO,
        CgroupDriver.CGROUPFS,
        10,
        DEFAULT_STREAMING_ADDRESS,
        60,
        30,
        // The kubelet's own stream idle timeout.
        4 * 60 * 60,
        // /usr/lib/cni is where Debian's containernetworking-plugins installs them.
        new Cni(Path.of("/etc/cni/net.d"), List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni"))),
        new Runtime(Path.of("/usr/sbin/runc"), Path.of("/usr/bin/conmon"), Path.of("/usr/bin/catatonit"), "/berth", 0,
            InfraContainer.WHEN_NEEDED, DEFAULT_HANDLERS, Path.of("criu"), 2),
        new Registry(Map.of(), List.of(), 300),
        "127.0.0.1:9767",
        false,
        new Images(0));
  }

  public BerthConfig withSocket(Path value) {
    return new BerthConfig(value, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, streamingHandshakeTimeoutSeconds,
        streamingIdleTimeoutSeconds, cni, runtime, registry, metricsAddress,
        metricsPerCpuUsage, images);
  }

  public BerthConfig withRoot(Path value) {
    return new BerthConfig(socket, value, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, streamingHandshakeTimeoutSeconds,
        streamingIdleTimeoutSeconds, cni, runtime, registry, metricsAddress,
        metricsPerCpuUsage, images);
  }

  public BerthConfig withState(Path value) {
    return new BerthConfig(socket, root, value, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, streamingHandshakeTimeoutSeconds,
        streamingIdleTimeoutSeconds, cni, runtime, registry, metricsAddress,
        metricsPerCpuUsage, images);
  }

  public BerthConfig withLogLevel(LogLevel value) {
    return new BerthConfig(socket, root, state, value, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, streamingHandshakeTimeoutSeconds,
        streamingIdleTimeoutSeconds, cni, runtime, registry, metricsAddress,
        metricsPerCpuUsage, images);
  }

  public BerthConfig withStreamingAddress(String value) {
    return new BerthConfig(socket, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        value, streamingTokenTtlSeconds, streamingHandshakeTimeoutSeconds,
        streamingIdleTimeoutSeconds, cni, runtime, registry, metricsAddress,
        metricsPerCpuUsage, images);
  }

  public BerthConfig withMetricsAddress(String value) {
    return new BerthConfig(socket, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, streamingHandshakeTimeoutSeconds,
        streamingIdleTimeoutSeconds, cni, runtime, registry, value,
        metricsPerCpuUsage, images);
  }
}
