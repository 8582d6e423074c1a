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
    Cni cni,
    Runtime runtime,
    Registry registry,
    String metricsAddress) {

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
   */
  public record Runtime(Path ociRuntime, Path conmon, Path catatonit, String defaultCgroupParent, long pidsLimit) {}

  /**
   * How images are pulled: mirrors per registry host (tried in order before the host) and hosts
   * reached over plain HTTP. Loopback registries are always plain HTTP.
   */
  public record Registry(Map<String, List<String>> mirrors, List<String> plainHttpHosts) {
    public Registry {
      mirrors = Map.copyOf(mirrors);
      plainHttpHosts = List.copyOf(plainHttpHosts);
    }
  }

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
        // /usr/lib/cni is where Debian's containernetworking-plugins installs them.
        new Cni(Path.of("/etc/cni/net.d"), List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni"))),
        new Runtime(Path.of("/usr/sbin/runc"), Path.of("/usr/bin/conmon"), Path.of("/usr/bin/catatonit"), "/berth", 0),
        new Registry(Map.of(), List.of()),
        "127.0.0.1:9767");
  }

  public BerthConfig withSocket(Path value) {
    return new BerthConfig(value, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, cni, runtime, registry, metricsAddress);
  }

  public BerthConfig withRoot(Path value) {
    return new BerthConfig(socket, value, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, cni, runtime, registry, metricsAddress);
  }

  public BerthConfig withState(Path value) {
    return new BerthConfig(socket, root, value, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, cni, runtime, registry, metricsAddress);
  }

  public BerthConfig withLogLevel(LogLevel value) {
    return new BerthConfig(socket, root, state, value, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, cni, runtime, registry, metricsAddress);
  }

  public BerthConfig withStreamingAddress(String value) {
    return new BerthConfig(socket, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        value, streamingTokenTtlSeconds, cni, runtime, registry, metricsAddress);
  }

  public BerthConfig withMetricsAddress(String value) {
    return new BerthConfig(socket, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds,
        streamingAddress, streamingTokenTtlSeconds, cni, runtime, registry, value);
  }
}
