package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** cgroup v2: every controller's files in one directory per cgroup. */
public final class CgroupV2Reader implements CgroupReader {

  private final Path root;
  private final List<String> pageSizes;

  public CgroupV2Reader(Path root, List<String> pageSizes) {
    this.root = root;
    this.pageSizes = List.copyOf(pageSizes);
  }

  @Override
  public Optional<CgroupStats> read(String cgroupPath) {
    Path dir = root.resolve(CgroupReader.relative(cgroupPath));
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try {
      String io = CgroupFiles.readIfPresent(dir.resolve("io.stat"));
      BlkioFiles blkio = new BlkioFiles();
      if (io != null) {
        blkio.addV2(io);
      }
      List<CgroupStats.Hugetlb> hugetlb;
      try {
        hugetlb = HugetlbFiles.readV2(dir, pageSizes);
      } catch (java.nio.file.NoSuchFileException gone) {
        hugetlb = List.of();
      }
      return Optional.of(new CgroupStats(
          CgroupV1Reader.section(() -> readCpu(dir)),
          CgroupV1Reader.section(() -> readMemory(dir)),
          blkio.devices(),
          CgroupV1Reader.section(() -> readPids(dir)),
          hugetlb));
    } catch (IOException e) {
      throw new UncheckedIOException("reading cgroup " + cgroupPath, e);
    }
  }

  @Override
  public Optional<CgroupSpec> spec(String cgroupPath) {
    Path dir = root.resolve(CgroupReader.relative(cgroupPath));
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try {
      long quota = 0;
      long period = 0;
      String max = CgroupFiles.readIfPresent(dir.resolve("cpu.max")); // "max 100000" or "50000 100000"
      if (max != null) {
        String[] fields = max.trim().split(" ");
        quota = CgroupFiles.parseLimitOrValue(fields[0]);
        period = fields.length > 1 ? Long.parseLong(fields[1]) : 0;
      }
      long weight = CgroupFiles.readLongIfPresent(dir.resolve("cpu.weight"));
      return Optional.of(new CgroupSpec(weight < 0 ? 0 : CgroupSpec.sharesFromWeight(weight), quota, period,
          Math.max(0, CgroupFiles.readLongIfPresent(dir.resolve("memory.low"))),
          Math.max(0, CgroupFiles.readLongIfPresent(dir.resolve("memory.swap.max")))));
    } catch (java.nio.file.NoSuchFileException gone) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("reading cgroup " + cgroupPath, e);
    }
  }

  @Override
  public Optional<Path> processesDir(String cgroupPath) {
    return Optional.of(root.resolve(CgroupReader.relative(cgroupPath)));
  }

  private static CgroupStats.Cpu readCpu(Path dir) throws IOException {
    // cpu.stat exists in every v2 cgroup; the throttling lines only with the cpu controller.
    Map<String, Long> stat = CgroupFiles.keyValues(CgroupFiles.read(dir.resolve("cpu.stat")));
    return new CgroupStats.Cpu(CgroupFiles.get(stat, "usage_usec") * 1000, CgroupFiles.get(stat, "user_usec") * 1000,
        CgroupFiles.get(stat, "system_usec") * 1000, List.of(), CgroupFiles.get(stat, "nr_periods"),
        CgroupFiles.get(stat, "nr_throttled"), CgroupFiles.get(stat, "throttled_usec") * 1000);
  }

  private static CgroupStats.Memory readMemory(Path dir) throws IOException {
    String current = CgroupFiles.readIfPresent(dir.resolve("memory.current"));
    if (current == null) {
      return null; // memory controller not enabled for this cgroup
    }
    long usage = Long.parseLong(current.trim());
    Map<String, Long> stat = CgroupFiles.keyValues(CgroupFiles.read(dir.resolve("memory.stat")));
    Map<String, Long> events = CgroupFiles.keyValues(CgroupFiles.read(dir.resolve("memory.events")));
    long swap = CgroupFiles.readLongIfPresent(dir.resolve("memory.swap.current"));
    long inactiveFile = CgroupFiles.get(stat, "inactive_file");
    // "kernel" appeared in 5.18; before it, its main parts.
    long kernel = stat.containsKey("kernel") ? stat.get("kernel")
        : CgroupFiles.get(stat, "kernel_stack") + CgroupFiles.get(stat, "slab") + CgroupFiles.get(stat, "percpu")
            + CgroupFiles.get(stat, "pagetables") + CgroupFiles.get(stat, "sock");
    return new CgroupStats.Memory(
        usage,
        CgroupFiles.readLong(dir.resolve("memory.max")),
        CgroupFiles.readLongIfPresent(dir.resolve("memory.peak")),
        CgroupFiles.get(events, "max"),
        CgroupFiles.get(stat, "file"),
        CgroupFiles.get(stat, "anon"),
        Math.max(0, swap),
        kernel,
        CgroupFiles.get(stat, "file_mapped"),
        CgroupFiles.get(stat, "active_file"),
        inactiveFile,
        Math.max(0, usage - inactiveFile),
        CgroupFiles.get(stat, "pgfault"),
        CgroupFiles.get(stat, "pgmajfault"),
        -1,
        -1,
        CgroupFiles.get(events, "oom_kill"));
  }

  private static CgroupStats.Pids readPids(Path dir) throws IOException {
    long current = CgroupFiles.readLongIfPresent(dir.resolve("pids.current"));
    if (current < 0) {
      return null;
    }
    return new CgroupStats.Pids(current, CgroupFiles.readLong(dir.resolve("pids.max")));
  }
}
