package dev.berth.runtime.testing;

import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cgroup.CgroupVersion;
import dev.berth.runtime.cgroup.V1CgroupModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What integration tests read from this host's cgroups, on whichever version the host has (asked
 * of the same model the daemon detects): the v1 and v2 names of a value, and the contents a limit
 * must show. Tests compare the daemon's answers with these files, so they pass on v1, hybrid and
 * v2 nodes alike.
 */
public final class HostCgroupFiles {

  /** A limit as the host's cgroup files must show it: the controller, its file, its text. */
  public record LimitFile(String controller, String file, String content) {}

  /**
   * How far a cgroup's memory figures may move and come back between two reads while its
   * processes do nothing: the kernel charges memory to a cgroup in batches of 64 pages per CPU,
   * so usage can rise by a batch while the daemon reads it and fall back before the next read
   * (seen in CI: 32,047,104 bytes, then 32,309,248 read by the daemon, then 32,034,816). A test
   * that brackets a memory figure between two reads of the file allows this much on either side.
   */
  public static final long MEMORY_CHARGE_SLACK = 64L * 4096 * Runtime.getRuntime().availableProcessors();

  private final CgroupModel model;

  private HostCgroupFiles(CgroupModel model) {
    this.model = model;
  }

  public static HostCgroupFiles ofThisHost() {
    return new HostCgroupFiles(PodTestEnv.hostCgroups());
  }

  public CgroupVersion version() {
    return model.version();
  }

  /** Huge page sizes of this host as the kernel names them ("2MB", "1GB"). */
  public java.util.List<String> pageSizes() {
    return model.pageSizes();
  }

  private boolean v2() {
    return model.version() == CgroupVersion.V2;
  }

  /** The file {@code v1Name} or {@code v2Name} of a controller of the cgroup, as the host names it. */
  public Path file(String controller, String cgroupPath, String v1Name, String v2Name) {
    return PodTestEnv.cgroupDir(controller, cgroupPath).resolve(v2() ? v2Name : v1Name);
  }

  /** Total CPU time: cpuacct.usage, or cpu.stat's usage_usec. */
  public long cpuUsageNanos(String cgroupPath) {
    if (v2()) {
      return statValue(file("cpu", cgroupPath, "", "cpu.stat"), "usage_usec") * 1000;
    }
    return readLong(file("cpuacct", cgroupPath, "cpuacct.usage", ""));
  }

  public long memoryUsage(String cgroupPath) {
    return readLong(file("memory", cgroupPath, "memory.usage_in_bytes", "memory.current"));
  }

  /** A memory.stat value: v1's hierarchical total_* key, or v2's own name for it. */
  public long memoryStat(String cgroupPath, String v1Key, String v2Key) {
    return statValue(file("memory", cgroupPath, "memory.stat", "memory.stat"), v2() ? v2Key : v1Key);
  }

  public long pidsCurrent(String cgroupPath) {
    return readLong(file("pids", cgroupPath, "pids.current", "pids.current"));
  }

  /** The cgroup's own processes (every v1 hierarchy lists them; pids is the one for counting). */
  public Path procs(String cgroupPath) {
    return file("pids", cgroupPath, "cgroup.procs", "cgroup.procs");
  }

  public LimitFile cpuShares(long shares) {
    return v2() ? new LimitFile("cpu", "cpu.weight", Long.toString(1 + ((shares - 2) * 9999) / 262142))
        : new LimitFile("cpu", "cpu.shares", Long.toString(shares));
  }

  public LimitFile cpuQuota(long quota, long period) {
    return v2() ? new LimitFile("cpu", "cpu.max", quota + " " + period)
        : new LimitFile("cpu", "cpu.cfs_quota_us", Long.toString(quota));
  }

  public LimitFile memoryLimit(long bytes) {
    return new LimitFile("memory", v2() ? "memory.max" : "memory.limit_in_bytes", Long.toString(bytes));
  }

  /**
   * Bytes written to one device ("MAJ:MIN"): v1's blkio.throttle.io_service_bytes_recursive
   * "Write" line, v2's io.stat wbytes; 0 before the first write.
   */
  public long bytesWritten(String cgroupPath, String device) {
    if (v2()) {
      for (String line : readString(file("io", cgroupPath, "", "io.stat")).split("\n")) {
        if (line.startsWith(device + " ")) {
          for (String field : line.split(" ")) {
            if (field.startsWith("wbytes=")) {
              return Long.parseLong(field.substring("wbytes=".length()));
            }
          }
        }
      }
      return 0;
    }
    for (String line : readString(file("blkio", cgroupPath, "blkio.throttle.io_service_bytes_recursive", "")).split("\n")) {
      if (line.startsWith(device + " Write ")) {
        return Long.parseLong(line.split(" ")[2]);
      }
    }
    return 0;
  }

  /** CPU limits as cAdvisor reports them: quota (0 for none), period, shares (from cpu.weight on v2). */
  public record CpuSpec(long quota, long period, long shares) {}

  public CpuSpec cpuSpec(String cgroupPath) {
    Path dir = PodTestEnv.cgroupDir("cpu", cgroupPath);
    if (v2()) {
      String[] max = readString(dir.resolve("cpu.max")).trim().split(" ");
      long weight = readLong(dir.resolve("cpu.weight"));
      return new CpuSpec(max[0].equals("max") ? 0 : Long.parseLong(max[0]), Long.parseLong(max[1]),
          2 + ((weight - 1) * 262142) / 9999);
    }
    return new CpuSpec(Math.max(0, readLong(dir.resolve("cpu.cfs_quota_us"))), readLong(dir.resolve("cpu.cfs_period_us")),
        readLong(dir.resolve("cpu.shares")));
  }

  /** The text of a limit's file in the cgroup, trimmed. */
  public String read(String cgroupPath, LimitFile limit) {
    return readString(PodTestEnv.cgroupDir(limit.controller(), cgroupPath).resolve(limit.file())).trim();
  }

  /**
   * Where the hugetlb files of the cgroup are, when this host has the controller: its own v1
   * hierarchy, the v2 mount of a hybrid node (delegated down to the pod by the daemon), or the v2
   * directory when the root offers hugetlb.
   */
  public Optional<Path> hugetlbDir(String cgroupPath) {
    boolean offered = switch (model) {
      case V1CgroupModel _ -> model.directory("hugetlb", "/").isPresent(); // a v1 hierarchy, or the v2 mount
      default -> readString(model.hierarchyRoots().getFirst().resolve("cgroup.controllers")).contains("hugetlb");
    };
    return offered ? model.directory("hugetlb", cgroupPath) : Optional.empty();
  }

  /** The limit file of one page size: v1's limit_in_bytes in a v1 hierarchy, .max on a v2 mount. */
  public String hugetlbLimitFile(String pageSize) {
    boolean v1Names = model instanceof V1CgroupModel v1 && !v1.hugetlbOnUnified();
    return "hugetlb." + pageSize + (v1Names ? ".limit_in_bytes" : ".max");
  }

  /** The usage file of one page size: v1's usage_in_bytes in a v1 hierarchy, .current on a v2 mount. */
  public String hugetlbUsageFile(String pageSize) {
    boolean v1Names = model instanceof V1CgroupModel v1 && !v1.hugetlbOnUnified();
    return "hugetlb." + pageSize + (v1Names ? ".usage_in_bytes" : ".current");
  }

  public static long readLong(Path file) {
    return Long.parseLong(readString(file).trim());
  }

  /** A "key value" line of a stat file. */
  public static long statValue(Path file, String key) {
    for (String line : readString(file).split("\n")) {
      String[] fields = line.split(" ");
      if (fields[0].equals(key)) {
        return Long.parseLong(fields[1]);
      }
    }
    throw new AssertionError(key + " not in " + file);
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
