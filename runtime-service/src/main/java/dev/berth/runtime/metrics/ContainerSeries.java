package dev.berth.runtime.metrics;

import static dev.berth.runtime.metrics.ContainerFamilies.*;

import dev.berth.runtime.cgroup.CgroupSpec;
import dev.berth.runtime.cgroup.CgroupStats;
import dev.berth.runtime.stats.ContainerSample;
import dev.berth.runtime.stats.ContainerSnapshot;
import dev.berth.runtime.stats.FilesystemSample;
import dev.berth.runtime.stats.MetricsDetails;
import dev.berth.runtime.stats.InterfaceStats;
import dev.berth.runtime.stats.PodSample;
import dev.berth.runtime.stats.PodSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns samples into series with cAdvisor's names and labels: the one translation that both the
 * Prometheus endpoint and the CRI metrics RPCs use. Pod cgroups get container="" and name="",
 * as cAdvisor gives them; network series belong to the pod, whose namespace they were read in.
 * A series exists when cAdvisor's does: a stopped container has none (its cgroup is gone for
 * cAdvisor), CFS throttling only under a CPU quota, a CPU quota only when one is set.
 */
public final class ContainerSeries {

  private static final double NANOS = 1e-9;

  private final BlockDeviceNames devices;
  private final boolean perCpuUsage;

  /**
   * @param perCpuUsage container_cpu_usage_seconds_total per CPU ("cpu00", ...) instead of one
   *     cpu="total" series, as cAdvisor's optional percpu metrics (cgroup v1 only: v2 keeps no split)
   */
  public ContainerSeries(boolean perCpuUsage) {
    this(Path.of("/sys/dev/block"), perCpuUsage);
  }

  ContainerSeries(Path sysDevBlock, boolean perCpuUsage) {
    this.devices = new BlockDeviceNames(sysDevBlock);
    this.perCpuUsage = perCpuUsage;
  }

  /** The pod's own series (its cgroup and network), without its containers'. */
  public List<Series> pod(PodSample pod) {
    PodSnapshot sandbox = pod.sandbox();
    List<String> base = List.of(pod.cgroupPath(), "", "", "", sandbox.name(),
        sandbox.namespace());
    List<Series> out = new ArrayList<>();
    pod.cgroup().ifPresent(stats -> {
      add(out, LAST_SEEN, base, pod.timestampNanos() / 1_000_000_000L);
      cgroup(stats, pod.details(), base, out);
    });
    for (InterfaceStats iface : pod.network()) {
      add(out, NET_RX_BYTES, base, iface.rxBytes(), iface.name());
      add(out, NET_RX_PACKETS, base, iface.rxPackets(), iface.name());
      add(out, NET_RX_ERRORS, base, iface.rxErrors(), iface.name());
      add(out, NET_RX_DROPPED, base, iface.rxDropped(), iface.name());
      add(out, NET_TX_BYTES, base, iface.txBytes(), iface.name());
      add(out, NET_TX_PACKETS, base, iface.txPackets(), iface.name());
      add(out, NET_TX_ERRORS, base, iface.txErrors(), iface.name());
      add(out, NET_TX_DROPPED, base, iface.txDropped(), iface.name());
    }
    return out;
  }

  public List<Series> container(ContainerSample sample) {
    ContainerSnapshot container = sample.container();
    if (!container.live()) {
      return List.of();
    }
    PodSnapshot sandbox = sample.sandbox();
    List<String> base = List.of(sample.cgroupPath(), container.id(), container.image(),
        container.name(), sandbox == null ? "" : sandbox.name(),
        sandbox == null ? "" : sandbox.namespace());
    List<Series> out = new ArrayList<>();
    sample.cgroup().ifPresent(stats -> {
      add(out, LAST_SEEN, base, sample.timestampNanos() / 1_000_000_000L);
      cgroup(stats, sample.details(), base, out);
    });
    Optional<FilesystemSample> fs = sample.details().filesystem();
    sample.writableLayer().ifPresent(layer -> {
      String device = fs.map(FilesystemSample::device).orElse(layer.mountpoint());
      add(out, FS_USAGE, base, layer.bytes(), device);
      add(out, FS_INODES, base, layer.inodes(), device);
    });
    fs.ifPresent(filesystem -> {
      add(out, FS_LIMIT, base, filesystem.capacityBytes(), filesystem.device());
      add(out, FS_INODES_TOTAL, base, filesystem.inodesTotal(), filesystem.device());
      add(out, FS_INODES_FREE, base, filesystem.inodesFree(), filesystem.device());
    });
    if (container.startedAtNanos() > 0) {
      add(out, START_TIME, base, container.startedAtNanos() * NANOS);
    }
    return out;
  }

  private void cgroup(CgroupStats stats, MetricsDetails details, List<String> base, List<Series> out) {
    Optional<CgroupSpec> spec = details.spec();
    stats.cpu().ifPresent(cpu -> {
      if (perCpuUsage && !cpu.perCpuNanos().isEmpty()) {
        for (int i = 0; i < cpu.perCpuNanos().size(); i++) {
          add(out, CPU_USAGE, base, cpu.perCpuNanos().get(i) * NANOS, String.format("cpu%02d", i));
        }
      } else {
        add(out, CPU_USAGE, base, cpu.usageNanos() * NANOS, "total");
      }
      add(out, CPU_USER, base, cpu.userNanos() * NANOS);
      add(out, CPU_SYSTEM, base, cpu.systemNanos() * NANOS);
      // Without a quota the kernel counts no periods: cAdvisor serves these only under one.
      boolean quota = spec.map(s -> s.cpuQuotaMicros() > 0).orElse(cpu.periods() > 0);
      if (quota) {
        add(out, CFS_PERIODS, base, cpu.periods());
        add(out, CFS_THROTTLED_PERIODS, base, cpu.throttledPeriods());
        add(out, CFS_THROTTLED_SECONDS, base, cpu.throttledNanos() * NANOS);
      }
    });
    spec.ifPresent(limits -> {
      add(out, SPEC_CPU_SHARES, base, limits.cpuShares());
      if (limits.cpuQuotaMicros() > 0) {
        add(out, SPEC_CPU_QUOTA, base, limits.cpuQuotaMicros());
      }
      if (limits.cpuPeriodMicros() > 0) {
        add(out, SPEC_CPU_PERIOD, base, limits.cpuPeriodMicros());
      }
      add(out, SPEC_MEMORY_RESERVATION, base, limits.memoryReservation());
      add(out, SPEC_MEMORY_SWAP_LIMIT, base, limits.memorySwapLimit());
    });
    details.processes().ifPresent(processes -> {
      add(out, PROCESSES, base, processes.processes());
      add(out, FILE_DESCRIPTORS, base, processes.fileDescriptors());
      add(out, SOCKETS, base, processes.sockets());
      add(out, TASKS_STATE, base, processes.running(), "running");
      add(out, TASKS_STATE, base, processes.sleeping(), "sleeping");
      add(out, TASKS_STATE, base, processes.stopped(), "stopped");
      add(out, TASKS_STATE, base, processes.uninterruptible(), "uninterruptible");
    });
    stats.memory().ifPresent(memory -> {
      add(out, MEMORY_USAGE, base, memory.usage());
      add(out, MEMORY_WORKING_SET, base, memory.workingSet());
      add(out, MEMORY_LIMIT, base, memory.limit());
      if (memory.maxUsage() >= 0) {
        add(out, MEMORY_MAX_USAGE, base, memory.maxUsage());
      }
      add(out, MEMORY_FAILCNT, base, memory.failcnt());
      add(out, MEMORY_CACHE, base, memory.cache());
      add(out, MEMORY_RSS, base, memory.rss());
      add(out, MEMORY_SWAP, base, memory.swap());
      add(out, MEMORY_KERNEL, base, memory.kernel());
      add(out, MEMORY_MAPPED, base, memory.mappedFile());
      add(out, MEMORY_ACTIVE_FILE, base, memory.activeFile());
      add(out, MEMORY_INACTIVE_FILE, base, memory.inactiveFile());
      add(out, MEMORY_FAILURES, base, memory.pageFaults(), "pgfault", "hierarchy");
      add(out, MEMORY_FAILURES, base, memory.majorPageFaults(), "pgmajfault", "hierarchy");
      if (memory.ownPageFaults() >= 0) {
        add(out, MEMORY_FAILURES, base, memory.ownPageFaults(), "pgfault", "container");
        add(out, MEMORY_FAILURES, base, memory.ownMajorPageFaults(), "pgmajfault", "container");
      }
      add(out, OOM_EVENTS, base, memory.oomKills());
    });
    for (CgroupStats.BlockDevice device : stats.blockDevices()) {
      String name = devices.name(device.major(), device.minor());
      String major = Integer.toString(device.major());
      String minor = Integer.toString(device.minor());
      perOperation(out, BLKIO_BYTES, base, device.bytes(), 1, name, major, minor);
      perOperation(out, BLKIO_IOS, base, device.ios(), 1, name, major, minor);
      perOperation(out, BLKIO_QUEUED, base, device.queued(), 1, name, major, minor);
      perOperation(out, BLKIO_SERVICE, base, device.serviceNanos(), NANOS, name, major, minor);
      perOperation(out, BLKIO_WAIT, base, device.waitNanos(), NANOS, name, major, minor);
      add(out, FS_READ_BYTES, base, device.bytes().getOrDefault("Read", 0L), name);
      add(out, FS_WRITE_BYTES, base, device.bytes().getOrDefault("Write", 0L), name);
      add(out, FS_READS, base, device.ios().getOrDefault("Read", 0L), name);
      add(out, FS_WRITES, base, device.ios().getOrDefault("Write", 0L), name);
    }
    stats.pids().ifPresent(pids -> {
      add(out, THREADS, base, pids.current());
      add(out, THREADS_MAX, base, pids.limit());
    });
    for (CgroupStats.Hugetlb hugetlb : stats.hugetlb()) {
      add(out, HUGETLB_USAGE, base, hugetlb.usage(), hugetlb.pageSize());
      if (hugetlb.maxUsage() >= 0) {
        add(out, HUGETLB_MAX, base, hugetlb.maxUsage(), hugetlb.pageSize());
      }
      add(out, HUGETLB_FAILCNT, base, hugetlb.failcnt(), hugetlb.pageSize());
      add(out, HUGETLB_LIMIT, base, hugetlb.limit(), hugetlb.pageSize());
    }
  }

  private static void perOperation(List<Series> out, Family family, List<String> base, Map<String, Long> values,
      double scale, String device, String major, String minor) {
    values.forEach((op, value) -> add(out, family, base, value * scale, device, major, minor, op));
  }

  private static void add(List<Series> out, Family family, List<String> base, double value, String... extra) {
    List<String> labels;
    if (extra.length == 0) {
      labels = base;
    } else {
      labels = new ArrayList<>(base.size() + extra.length);
      labels.addAll(base);
      labels.addAll(List.of(extra));
    }
    out.add(new Series(family, labels, value));
  }
}
