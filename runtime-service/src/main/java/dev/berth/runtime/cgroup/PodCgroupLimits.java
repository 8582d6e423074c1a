package dev.berth.runtime.cgroup;

import dev.berth.runtime.container.LinuxResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a pod's resources (UpdatePodSandboxResources: the sum of its containers' plus overhead)
 * into the pod cgroup's v1 files. Zero means "leave as is", as in the CRI message.
 */
public final class PodCgroupLimits {

  private final Path cgroupRoot;

  /** @param cgroupRoot where the v1 controllers are mounted, /sys/fs/cgroup on a node */
  public PodCgroupLimits(Path cgroupRoot) {
    this.cgroupRoot = cgroupRoot;
  }

  public void apply(String cgroupPath, LinuxResources resources) throws IOException {
    String relative = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    if (relative.isEmpty() || relative.contains("..")) {
      throw new IllegalArgumentException("refusing pod cgroup '" + cgroupPath + "'");
    }
    Path cpu = cgroupRoot.resolve("cpu").resolve(relative);
    Path memory = cgroupRoot.resolve("memory").resolve(relative);
    Path cpuset = cgroupRoot.resolve("cpuset").resolve(relative);
    if (resources.cpuShares() > 0) {
      write(cpu.resolve("cpu.shares"), resources.cpuShares());
    }
    // The period first: a quota is only valid against the period it was computed for.
    if (resources.cpuPeriod() > 0) {
      write(cpu.resolve("cpu.cfs_period_us"), resources.cpuPeriod());
    }
    if (resources.cpuQuota() != 0) {
      write(cpu.resolve("cpu.cfs_quota_us"), resources.cpuQuota());
    }
    if (resources.memoryLimitBytes() > 0) {
      write(memory.resolve("memory.limit_in_bytes"), resources.memoryLimitBytes());
    }
    if (!resources.cpusetCpus().isEmpty()) {
      Files.writeString(cpuset.resolve("cpuset.cpus"), resources.cpusetCpus());
    }
    if (!resources.cpusetMems().isEmpty()) {
      Files.writeString(cpuset.resolve("cpuset.mems"), resources.cpusetMems());
    }
  }

  private static void write(Path file, long value) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("pod cgroup file " + file + " does not exist");
    }
    Files.writeString(file, Long.toString(value));
  }
}
