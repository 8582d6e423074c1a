package dev.berth.runtime.cgroup;

import java.util.Optional;

/**
 * Reads one cgroup's statistics, opening only the files a {@link CgroupStats} needs. One
 * implementation per hierarchy version; the hybrid layout (v1 controllers, hugetlb on the v2
 * mount) is the v1 reader with a v2 hugetlb source.
 */
public sealed interface CgroupReader permits CgroupV1Reader, CgroupV2Reader {

  /**
   * @param cgroupPath cgroupfs path as runc was given it, like "/berth/POD/CONTAINER"
   * @return empty when the cgroup does not exist (never created, or already removed)
   */
  Optional<CgroupStats> read(String cgroupPath);

  /**
   * The cgroup's limits (CPU shares, quota and period, memory reservation and swap limit): a few
   * files that only the metrics endpoint reports, so they are not part of {@link #read}.
   *
   * @return empty when the cgroup does not exist
   */
  Optional<CgroupSpec> spec(String cgroupPath);

  /**
   * The directory whose {@code cgroup.procs} lists the cgroup's own processes, or empty when no
   * hierarchy that has it is mounted.
   */
  Optional<java.nio.file.Path> processesDir(String cgroupPath);

  /** A path below a hierarchy root; refuses anything that could leave it. */
  static String relative(String cgroupPath) {
    String relative = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    if (relative.contains("..") || relative.contains("\0")) {
      throw new IllegalArgumentException("invalid cgroup path '" + cgroupPath + "'");
    }
    return relative;
  }
}
