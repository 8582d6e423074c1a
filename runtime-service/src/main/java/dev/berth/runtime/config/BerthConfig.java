package dev.berth.runtime.config;

import java.nio.file.Path;
import java.util.List;

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
    Cni cni) {

  /** Where CNI network configs and plugin binaries live. */
  public record Cni(Path confDir, List<Path> binDirs) {
    public Cni {
      binDirs = List.copyOf(binDirs);
    }
  }

  public static BerthConfig defaults() {
    return new BerthConfig(
        Path.of("/run/berth/berth.sock"),
        Path.of("/var/lib/berth"),
        Path.of("/run/berth"),
        LogLevel.INFO,
        CgroupDriver.CGROUPFS,
        10,
        // /usr/lib/cni is where Debian's containernetworking-plugins installs them.
        new Cni(Path.of("/etc/cni/net.d"), List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni"))));
  }

  public BerthConfig withSocket(Path value) {
    return new BerthConfig(value, root, state, logLevel, cgroupDriver, shutdownTimeoutSeconds, cni);
  }

  public BerthConfig withRoot(Path value) {
    return new BerthConfig(socket, value, state, logLevel, cgroupDriver, shutdownTimeoutSeconds, cni);
  }

  public BerthConfig withState(Path value) {
    return new BerthConfig(socket, root, value, logLevel, cgroupDriver, shutdownTimeoutSeconds, cni);
  }

  public BerthConfig withLogLevel(LogLevel value) {
    return new BerthConfig(socket, root, state, value, cgroupDriver, shutdownTimeoutSeconds, cni);
  }
}
