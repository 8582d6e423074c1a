package dev.berth.runtime.testing;

import dev.berth.runtime.config.BerthConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The programs this host gives the tests' daemons, found where a daemon with the default
 * configuration looks for them (one place: {@link BerthConfig#defaults()}), and checked to be
 * there, so that a test fails naming what the host lacks instead of a path it assumed.
 */
public final class HostPrograms {

  private HostPrograms() {}

  /** The OCI runtime a daemon runs by default (runc). */
  public static Path runc() {
    Path runc = BerthConfig.defaults().runtime().ociRuntime();
    if (!Files.isExecutable(runc)) {
      throw new IllegalStateException("this host has no OCI runtime at " + runc + " (apt-get install runc)");
    }
    return runc;
  }

  /** The first of the default CNI plugin directories that holds the bridge plugin. */
  public static Path cniPluginDir() {
    List<Path> dirs = BerthConfig.defaults().cni().binDirs();
    return dirs.stream().filter(dir -> Files.isExecutable(dir.resolve("bridge"))).findFirst()
        .orElseThrow(() -> new IllegalStateException("no CNI bridge plugin in " + dirs
            + " (apt-get install containernetworking-plugins)"));
  }
}
