package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * cgroup v1: one hierarchy per controller. Hugetlb comes from the v1 hugetlb hierarchy when one
 * is mounted, otherwise from the v2 mount (the hybrid layout).
 */
public final class CgroupV1Reader implements CgroupReader {

  private final Path cpu;
  private final Path cpuacct;
  private final Path memory;
  private final Path blkio;
  private final Path pids;
  private final Path hugetlbV1;
  private final Path hugetlbV2;
  private final List<String> pageSizes;
  /** Only the CFQ scheduler ever kept these; their absence is settled once, not per read. */
  private final boolean cfqStats;

  /**
   * @param controllers hierarchy root per controller name ("cpu", "cpuacct", "memory", "blkio",
   *     "pids", "hugetlb"); a missing controller leaves its section empty
   * @param unifiedRoot the v2 mount, consulted for hugetlb when no v1 hugetlb hierarchy exists
   */
  public CgroupV1Reader(Map<String, Path> controllers, Path unifiedRoot, List<String> pageSizes) {
    this.cpu = controllers.get("cpu");
    this.cpuacct = controllers.get("cpuacct");
    this.memory = controllers.get("memory");
    this.blkio = controllers.get("blkio");
    this.pids = controllers.get("pids");
    this.hugetlbV1 = controllers.get("hugetlb");
    this.hugetlbV2 = hugetlbV1 == null ? unifiedRoot : null;
    this.pageSizes = List.copyOf(pageSizes);
    this.cfqStats = blkio != null && Files.exists(blkio.resolve("blkio.io_service_bytes_recursive"));
  }

  @Override
  public Optional<CgroupStats> read(String cgroupPath) {
    String relative = CgroupReader.relative(cgroupPath);
    Path cpuacctDir = dir(cpuacct, relative);
    Path memoryDir = dir(memory, relative);
    // runc creates every controller's directory; when the memory one is gone, the cgroup is.
    if (memoryDir != null && !Files.isDirectory(memoryDir)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new CgroupStats(
          section(() -> readCpu(cpuacctDir, dir(cpu, relative))),
          section(() -> readMemory(memoryDir)),
          blkio == null ? List.of() : readBlkio(blkio.resolve(relative)),
          section(() -> readPids(dir(pids, relative))),
          readHugetlb(relative)));
    } catch (IOException e) {
      throw new UncheckedIOException("reading cgroup " + cgroupPath, e);
    }
  }

  @Override
  public Optional<CgroupSpec> spec(String cgroupPath) {
    String relative = CgroupReader.relative(cgroupPath);
    Path memoryDir = dir(memory, relative);
    Path cpuDir = dir(cpu, relative);
    try {
      long shares = 0;
      long quota = 0;
      long period = 0;
      if (cpuDir != null) {
        shares = CgroupFiles.readLong(cpuDir.resolve("cpu.shares"));
        quota = Math.max(0, CgroupFiles.readLong(cpuDir.resolve("cpu.cfs_quota_us"))); // -1: no quota
        period = CgroupFiles.readLong(cpuDir.resolve("cpu.cfs_period_us"));
      }
      long reservation = 0;
      long swapLimit = 0;
      if (memoryDir != null) {
        reservation = unlimitedAsZero(CgroupFiles.readLong(memoryDir.resolve("memory.soft_limit_in_bytes")));
        swapLimit = unlimitedAsZero(CgroupFiles.readLongIfPresent(memoryDir.resolve("memory.memsw.limit_in_bytes")));
      }
      return Optional.of(new CgroupSpec(shares, quota, period, reservation, swapLimit));
    } catch (NoSuchFileException gone) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("reading cgroup " + cgroupPath, e);
    }
  }

  private static long unlimitedAsZero(long value) {
    return value >= CgroupFiles.V1_UNLIMITED_FLOOR || value < 0 ? 0 : value;
  }

  @Override
  public Optional<Path> processesDir(String cgroupPath) {
    String relative = CgroupReader.relative(cgroupPath);
    // Every v1 hierarchy lists the same processes; pids is the one made for counting them.
    Path root = pids != null ? pids : memory != null ? memory : cpuacct;
    return Optional.ofNullable(dir(root, relative));
  }

  private static Path dir(Path root, String relative) {
    return root == null ? null : root.resolve(relative);
  }

  interface SectionRead<T> {
    T read() throws IOException;
  }

  /** A section whose controller is absent, or whose cgroup vanished mid-read, is empty. */
  static <T> Optional<T> section(SectionRead<T> read) throws IOException {
    try {
      return Optional.ofNullable(read.read());
    } catch (NoSuchFileException gone) {
      return Optional.empty();
    }
  }

  private static CgroupStats.Cpu readCpu(Path cpuacctDir, Path cpuDir) throws IOException {
    if (cpuacctDir == null) {
      return null;
    }
    // cpuacct.usage is the sum of the per-CPU counters: summing usage_percpu gives both from one
    // read, and they agree exactly.
    List<Long> perCpu = new ArrayList<>();
    long usage = 0;
    for (String value : CgroupFiles.read(cpuacctDir.resolve("cpuacct.usage_percpu")).trim().split(" ")) {
      long nanos = Long.parseLong(value);
      perCpu.add(nanos);
      usage += nanos;
    }
    // The user/system split is tick-based in the kernel (it does not add up to usage); usage_all
    // gives it in ns, cpuacct.stat (before 4.7) in USER_HZ ticks.
    long user = 0;
    long system = 0;
    String all = CgroupFiles.readIfPresent(cpuacctDir.resolve("cpuacct.usage_all"));
    if (all != null) {
      long[] sums = new long[2];
      CgroupFiles.eachLine(all, (line, index) -> {
        if (index > 0) { // the first line is "cpu user system"
          String[] fields = line.split(" ");
          sums[0] += Long.parseLong(fields[1]);
          sums[1] += Long.parseLong(fields[2]);
        }
      });
      user = sums[0];
      system = sums[1];
    } else {
      Map<String, Long> ticks = CgroupFiles.keyValues(CgroupFiles.read(cpuacctDir.resolve("cpuacct.stat")));
      user = CgroupFiles.get(ticks, "user") * 10_000_000L;
      system = CgroupFiles.get(ticks, "system") * 10_000_000L;
    }
    Map<String, Long> throttling = cpuDir == null ? Map.of()
        : CgroupFiles.keyValues(CgroupFiles.read(cpuDir.resolve("cpu.stat")));
    return new CgroupStats.Cpu(usage, user, system, perCpu, CgroupFiles.get(throttling, "nr_periods"),
        CgroupFiles.get(throttling, "nr_throttled"), CgroupFiles.get(throttling, "throttled_time"));
  }

  private static CgroupStats.Memory readMemory(Path dir) throws IOException {
    if (dir == null) {
      return null;
    }
    long usage = CgroupFiles.readLong(dir.resolve("memory.usage_in_bytes"));
    long limit = CgroupFiles.readLong(dir.resolve("memory.limit_in_bytes"));
    Map<String, Long> stat = CgroupFiles.keyValues(CgroupFiles.read(dir.resolve("memory.stat")));
    long memsw = CgroupFiles.readLongIfPresent(dir.resolve("memory.memsw.usage_in_bytes"));
    long kernel = CgroupFiles.readLongIfPresent(dir.resolve("memory.kmem.usage_in_bytes"));
    Map<String, Long> oom = CgroupFiles.keyValues(CgroupFiles.read(dir.resolve("memory.oom_control")));
    long inactiveFile = CgroupFiles.get(stat, "total_inactive_file");
    return new CgroupStats.Memory(
        usage,
        limit >= CgroupFiles.V1_UNLIMITED_FLOOR ? 0 : limit,
        CgroupFiles.readLong(dir.resolve("memory.max_usage_in_bytes")),
        CgroupFiles.readLong(dir.resolve("memory.failcnt")),
        CgroupFiles.get(stat, "total_cache"),
        CgroupFiles.get(stat, "total_rss"),
        // memsw counts memory plus swap; without swap accounting memory.stat's swap is all there is.
        memsw >= 0 ? Math.max(0, memsw - usage) : CgroupFiles.get(stat, "total_swap"),
        Math.max(0, kernel),
        CgroupFiles.get(stat, "total_mapped_file"),
        CgroupFiles.get(stat, "total_active_file"),
        inactiveFile,
        Math.max(0, usage - inactiveFile),
        CgroupFiles.get(stat, "total_pgfault"),
        CgroupFiles.get(stat, "total_pgmajfault"),
        CgroupFiles.get(stat, "pgfault"),
        CgroupFiles.get(stat, "pgmajfault"),
        CgroupFiles.get(oom, "oom_kill"));
  }

  private List<CgroupStats.BlockDevice> readBlkio(Path dir) throws IOException {
    BlkioFiles files = new BlkioFiles();
    try {
      if (cfqStats) {
        files.addV1("bytes", CgroupFiles.read(dir.resolve("blkio.io_service_bytes_recursive")));
        files.addV1("ios", CgroupFiles.read(dir.resolve("blkio.io_serviced_recursive")));
        files.addV1("queued", CgroupFiles.readIfPresent(dir.resolve("blkio.io_queued_recursive")));
        files.addV1("service", CgroupFiles.readIfPresent(dir.resolve("blkio.io_service_time_recursive")));
        files.addV1("wait", CgroupFiles.readIfPresent(dir.resolve("blkio.io_wait_time_recursive")));
      } else {
        // blk-throttle counts every bio of the cgroup (on recent kernels only once the cgroup has
        // a throttle rule; until then every counter is 0).
        files.addV1("bytes", CgroupFiles.read(dir.resolve("blkio.throttle.io_service_bytes_recursive")));
        files.addV1("ios", CgroupFiles.read(dir.resolve("blkio.throttle.io_serviced_recursive")));
      }
    } catch (NoSuchFileException gone) {
      return List.of();
    }
    return files.devices();
  }

  private static CgroupStats.Pids readPids(Path dir) throws IOException {
    if (dir == null) {
      return null;
    }
    return new CgroupStats.Pids(CgroupFiles.readLong(dir.resolve("pids.current")),
        CgroupFiles.readLong(dir.resolve("pids.max")));
  }

  private List<CgroupStats.Hugetlb> readHugetlb(String relative) throws IOException {
    try {
      if (hugetlbV1 != null) {
        return HugetlbFiles.readV1(hugetlbV1.resolve(relative), pageSizes);
      }
      if (hugetlbV2 != null) {
        return HugetlbFiles.readV2(hugetlbV2.resolve(relative), pageSizes);
      }
    } catch (NoSuchFileException gone) {
      // Removed between two files.
    }
    return List.of();
  }
}
