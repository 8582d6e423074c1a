package dev.berth.runtime.stats;

import dev.berth.cri.v1.ContainerAttributes;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ContainerStats;
import dev.berth.cri.v1.CpuUsage;
import dev.berth.cri.v1.FilesystemIdentifier;
import dev.berth.cri.v1.FilesystemUsage;
import dev.berth.cri.v1.LinuxPodSandboxStats;
import dev.berth.cri.v1.MemoryUsage;
import dev.berth.cri.v1.NetworkInterfaceUsage;
import dev.berth.cri.v1.NetworkUsage;
import dev.berth.cri.v1.PodSandboxAttributes;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.PodSandboxStats;
import dev.berth.cri.v1.ProcessUsage;
import dev.berth.cri.v1.SwapUsage;
import dev.berth.cri.v1.UInt64Value;
import dev.berth.runtime.cgroup.CgroupStats;
import java.util.Optional;

/** CRI ContainerStats and PodSandboxStats from samples; keeps the readings that CPU rates need. */
public final class CriStats {

  /** The interface CNI gives every pod; the kubelet's default interface. */
  private static final String DEFAULT_INTERFACE = "eth0";

  private final CpuRates rates = new CpuRates();

  public ContainerStats container(ContainerSample sample) {
    ContainerSnapshot container = sample.container();
    ContainerStats.Builder stats = ContainerStats.newBuilder().setAttributes(ContainerAttributes.newBuilder()
        .setId(container.id())
        .setMetadata(ContainerMetadata.newBuilder().setName(container.name())
            .setAttempt(container.attempt()))
        .putAllLabels(container.labels())
        .putAllAnnotations(container.annotations()));
    long ts = sample.timestampNanos();
    sample.cgroup().ifPresent(cgroup -> {
      cgroup.cpu().ifPresent(cpu -> stats.setCpu(cpu(container.id(), ts, cpu)));
      cgroup.memory().ifPresent(memory -> {
        stats.setMemory(memory(ts, memory));
        SwapUsage.Builder swap = SwapUsage.newBuilder().setTimestamp(ts).setSwapUsageBytes(u64(memory.swap()));
        stats.setSwap(swap);
      });
    });
    sample.writableLayer().ifPresent(layer -> stats.setWritableLayer(FilesystemUsage.newBuilder()
        .setTimestamp(layer.timestampNanos())
        .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(layer.mountpoint()))
        .setUsedBytes(u64(layer.bytes()))
        .setInodesUsed(u64(layer.inodes()))));
    return stats.build();
  }

  public PodSandboxStats pod(PodSample sample) {
    PodSnapshot sandbox = sample.sandbox();
    PodSandboxStats.Builder stats = PodSandboxStats.newBuilder().setAttributes(PodSandboxAttributes.newBuilder()
        .setId(sandbox.id())
        .setMetadata(PodSandboxMetadata.newBuilder().setName(sandbox.name())
            .setUid(sandbox.uid()).setNamespace(sandbox.namespace())
            .setAttempt(sandbox.attempt()))
        .putAllLabels(sandbox.labels())
        .putAllAnnotations(sandbox.annotations()));
    LinuxPodSandboxStats.Builder linux = LinuxPodSandboxStats.newBuilder();
    long ts = sample.timestampNanos();
    Optional<CgroupStats> cgroup = sample.cgroup();
    cgroup.flatMap(CgroupStats::cpu).ifPresent(cpu -> linux.setCpu(cpu(sandbox.id(), ts, cpu)));
    cgroup.flatMap(CgroupStats::memory).ifPresent(memory -> linux.setMemory(memory(ts, memory)));
    cgroup.flatMap(CgroupStats::pids).ifPresent(pids -> linux.setProcess(ProcessUsage.newBuilder().setTimestamp(ts)
        .setProcessCount(u64(pids.current()))));
    if (!sample.network().isEmpty()) {
      NetworkUsage.Builder network = NetworkUsage.newBuilder().setTimestamp(ts);
      for (InterfaceStats iface : sample.network()) {
        NetworkInterfaceUsage usage = NetworkInterfaceUsage.newBuilder().setName(iface.name())
            .setRxBytes(u64(iface.rxBytes())).setRxErrors(u64(iface.rxErrors()))
            .setTxBytes(u64(iface.txBytes())).setTxErrors(u64(iface.txErrors())).build();
        network.addInterfaces(usage);
        if (iface.name().equals(DEFAULT_INTERFACE)) {
          network.setDefaultInterface(usage);
        }
      }
      linux.setNetwork(network);
    }
    for (ContainerSample container : sample.containers()) {
      linux.addContainers(container(container));
    }
    return stats.setLinux(linux).build();
  }

  private CpuUsage cpu(String key, long ts, CgroupStats.Cpu cpu) {
    CpuUsage.Builder usage = CpuUsage.newBuilder().setTimestamp(ts).setUsageCoreNanoSeconds(u64(cpu.usageNanos()));
    long nanoCores = rates.nanoCores(key, ts, cpu.usageNanos());
    if (nanoCores >= 0) {
      usage.setUsageNanoCores(u64(nanoCores));
    }
    return usage.build();
  }

  private static MemoryUsage memory(long ts, CgroupStats.Memory memory) {
    MemoryUsage.Builder usage = MemoryUsage.newBuilder().setTimestamp(ts)
        .setWorkingSetBytes(u64(memory.workingSet()))
        .setUsageBytes(u64(memory.usage()))
        .setRssBytes(u64(memory.rss()))
        .setPageFaults(u64(memory.pageFaults()))
        .setMajorPageFaults(u64(memory.majorPageFaults()));
    if (memory.limit() > 0) {
      // The kubelet's eviction signal: what is left before the limit, by working set.
      usage.setAvailableBytes(u64(Math.max(0, memory.limit() - memory.workingSet())));
    }
    return usage.build();
  }

  /** Forgets CPU readings of containers and pods that are gone. */
  public void retainOnly(java.util.Set<String> ids) {
    rates.retainOnly(ids);
  }

  private static UInt64Value u64(long value) {
    return UInt64Value.newBuilder().setValue(value).build();
  }
}
