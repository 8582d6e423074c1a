package dev.berth.runtime.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStats;
import dev.berth.cri.v1.ContainerStatsFilter;
import dev.berth.cri.v1.ContainerStatsRequest;
import dev.berth.cri.v1.ListContainerStatsRequest;
import dev.berth.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.cri.v1.NetworkInterfaceUsage;
import dev.berth.cri.v1.PodSandboxStats;
import dev.berth.cri.v1.PodSandboxStatsFilter;
import dev.berth.cri.v1.PodSandboxStatsRequest;
import dev.berth.runtime.testing.HostCgroupFiles;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CRI stats of real containers equal what their cgroup files say: each value lies between a
 * read of the file just before the call and one just after (the movement between two reads).
 */
@Tag("integration")
@Timeout(120)
class ContainerStatsTest extends PodTestCase {


  /** The host's cgroup files, v1 or v2, as the daemon reads them. */
  static final HostCgroupFiles HOST = HostCgroupFiles.ofThisHost();

  /** Asserts that {@code reported} lies within the file's values read before and after the call. */
  static <T> T assertBetweenReads(String what, LongSupplier file, java.util.function.Supplier<T> call,
      java.util.function.ToLongFunction<T> value) {
    return assertBetweenReads(what, file, call, value, 0);
  }

  /** The same for a memory gauge: {@code slack} beyond either read is allowed. */
  static <T> T assertBetweenReads(String what, LongSupplier file, java.util.function.Supplier<T> call,
      java.util.function.ToLongFunction<T> value, long slack) {
    long before = file.getAsLong();
    T reply = call.get();
    long after = file.getAsLong();
    long reported = value.applyAsLong(reply);
    assertTrue(Math.min(before, after) - slack <= reported && reported <= Math.max(before, after) + slack,
        what + ": " + reported + " not within [" + before + ", " + after + "]" + (slack > 0 ? " +- " + slack : ""));
    return reply;
  }

  String containerCgroup(String podId, String containerId) {
    return env.cgroupRoot() + "/" + podId + "/" + containerId;
  }

  ContainerStats containerStats(String id) {
    return env.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build()).getStats();
  }

  @Test
  void cpuOfABusyContainerEqualsCpuacctAndGivesARate() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("burn", "sh", "-c", "while :; do :; done").build());
    Thread.sleep(700);
    String cgroup = containerCgroup(pod, id);
    ContainerStats first = assertBetweenReads("usage_core_nano_seconds",
        () -> HOST.cpuUsageNanos(cgroup), () -> containerStats(id),
        s -> s.getCpu().getUsageCoreNanoSeconds().getValue());
    assertTrue(first.getCpu().getUsageCoreNanoSeconds().getValue() > 50_000_000L, first.getCpu().toString());
    assertEquals(id, first.getAttributes().getId());
    assertEquals("burn", first.getAttributes().getMetadata().getName());
    Thread.sleep(500);
    ContainerStats second = containerStats(id);
    long nanoCores = second.getCpu().getUsageNanoCores().getValue();
    double expected = (double) (second.getCpu().getUsageCoreNanoSeconds().getValue()
        - first.getCpu().getUsageCoreNanoSeconds().getValue())
        / (second.getCpu().getTimestamp() - first.getCpu().getTimestamp()) * 1e9;
    assertEquals(expected, nanoCores, 2, "usage_nano_cores is the rate between the two readings");
    // A shell spinning on one CPU uses at most one core.
    assertTrue(nanoCores > 0 && nanoCores < 1_100_000_000L, "usage_nano_cores " + nanoCores);
  }

  @Test
  void memoryOfAContainerHoldingThirtyMegabytesEqualsTheMemoryCgroup() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("hold", "sh", "-c",
        "head -c 31457280 /dev/zero > /dev/shm/fill; echo filled; sleep 600").build());
    awaitLog(id, "filled");
    String cgroup = containerCgroup(pod, id);
    ContainerStats stats = assertBetweenReads("usage_bytes", () -> HOST.memoryUsage(cgroup),
        () -> containerStats(id), s -> s.getMemory().getUsageBytes().getValue(), HostCgroupFiles.MEMORY_CHARGE_SLACK);
    assertTrue(stats.getMemory().getUsageBytes().getValue() >= 30L << 20, stats.getMemory().toString());
    assertBetweenReads("working_set_bytes",
        () -> HOST.memoryUsage(cgroup) - HOST.memoryStat(cgroup, "total_inactive_file", "inactive_file"),
        () -> containerStats(id), s -> s.getMemory().getWorkingSetBytes().getValue(), HostCgroupFiles.MEMORY_CHARGE_SLACK);
    assertBetweenReads("rss_bytes", () -> HOST.memoryStat(cgroup, "total_rss", "anon"),
        () -> containerStats(id), s -> s.getMemory().getRssBytes().getValue(), HostCgroupFiles.MEMORY_CHARGE_SLACK);
    assertBetweenReads("page_faults", () -> HOST.memoryStat(cgroup, "total_pgfault", "pgfault"),
        () -> containerStats(id), s -> s.getMemory().getPageFaults().getValue());
  }

  @Test
  void writableLayerCountsWhatTheContainerWroteWithFsync() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("writer", "sh", "-c",
        "mkdir /data; dd if=/dev/zero of=/data/blob bs=65536 count=64 conv=fsync; echo written; sleep 600").build());
    awaitLog(id, "written");
    // Cached and refreshed in the background: the new size shows within a refresh interval.
    long deadline = System.nanoTime() + 10_000_000_000L;
    ContainerStats stats = containerStats(id);
    while (stats.getWritableLayer().getUsedBytes().getValue() < 4L << 20 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      stats = containerStats(id);
    }
    long used = stats.getWritableLayer().getUsedBytes().getValue();
    assertTrue(used >= 4L << 20 && used < 5L << 20, "used_bytes " + used);
    assertTrue(stats.getWritableLayer().getInodesUsed().getValue() >= 3, stats.getWritableLayer().toString());
    assertTrue(!stats.getWritableLayer().getFsId().getMountpoint().isEmpty());
  }

  @Test
  void podStatsCountProcessesNetworkAndCarryEachContainer() throws Exception {
    String pod = env.runPod();
    String forker = env.runContainer(pod, env.containerConfig("forker", "sh", "-c",
        "for i in 1 2 3 4 5 6 7 8; do sleep 600 & done; echo forked; wait").build());
    String other = env.runContainer(pod, env.containerConfig("idle", "sleep", "600").build());
    awaitLog(forker, "forked");
    String podCgroup = env.cgroupRoot() + "/" + pod;
    PodSandboxStats stats = assertBetweenReads("process_count",
        () -> HOST.pidsCurrent(podCgroup),
        () -> env.runtime().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(pod).build()).getStats(),
        s -> s.getLinux().getProcess().getProcessCount().getValue());
    // (infra, unless the pod runs without one) + (sh + 8 sleeps) + sleep
    long infraPid = Long.parseLong(env.podRecordField(pod, "infraPid"));
    assertEquals(infraPid > 0 ? 11 : 10, stats.getLinux().getProcess().getProcessCount().getValue());
    assertEquals(pod, stats.getAttributes().getId());
    assertEquals(List.of(forker, other).stream().sorted().toList(), stats.getLinux().getContainersList().stream()
        .map(c -> c.getAttributes().getId()).sorted().toList());
    assertEquals(9, HOST.pidsCurrent(containerCgroup(pod, forker)));

    // The pod's interfaces as its network namespace shows them, through the infra process (or,
    // in a pod without one, through a container: all of them join the pod's network namespace).
    long netPid = infraPid > 0 ? infraPid : Long.parseLong(java.nio.file.Files.readAllLines(
        HOST.procs(containerCgroup(pod, other))).getFirst().trim());
    java.util.function.Supplier<PodSandboxStats> call = () -> env.runtime().podSandboxStats(
        PodSandboxStatsRequest.newBuilder().setPodSandboxId(pod).build()).getStats();
    assertBetweenReads("eth0 rx_bytes", () -> netDevField(netPid, "eth0", 0), call,
        s -> s.getLinux().getNetwork().getDefaultInterface().getRxBytes().getValue());
    stats = assertBetweenReads("eth0 tx_bytes", () -> netDevField(netPid, "eth0", 8), call,
        s -> s.getLinux().getNetwork().getDefaultInterface().getTxBytes().getValue());
    NetworkInterfaceUsage eth0 = stats.getLinux().getNetwork().getDefaultInterface();
    assertEquals("eth0", eth0.getName());
    assertTrue(eth0.getTxBytes().getValue() > 0, eth0.toString());
    assertTrue(stats.getLinux().getNetwork().getInterfacesList().stream().noneMatch(i -> i.getName().equals("lo")));

    assertBetweenReads("pod memory usage", () -> HOST.memoryUsage(podCgroup),
        () -> env.runtime().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(pod).build()).getStats(),
        s -> s.getLinux().getMemory().getUsageBytes().getValue(), HostCgroupFiles.MEMORY_CHARGE_SLACK);
  }

  @Test
  void listsFilterByPodIdPrefixAndLabels() throws Exception {
    String pod = env.runPod(env.podConfig("filtered").putLabels("app", "stats").build());
    String labelled = env.runContainer(pod, env.containerConfig("labelled", "sleep", "600").putLabels("tier", "db").build());
    String plain = env.runContainer(pod, env.containerConfig("plain", "sleep", "600").build());
    List<String> inPod = env.runtime().listContainerStats(ListContainerStatsRequest.newBuilder().setFilter(
            ContainerStatsFilter.newBuilder().setPodSandboxId(pod.substring(0, 12))).build()).getStatsList().stream()
        .map(s -> s.getAttributes().getId()).sorted().toList();
    assertEquals(List.of(labelled, plain).stream().sorted().toList(), inPod);
    assertEquals(List.of(labelled), env.runtime().listContainerStats(ListContainerStatsRequest.newBuilder().setFilter(
            ContainerStatsFilter.newBuilder().putLabelSelector("tier", "db")).build()).getStatsList().stream()
        .map(s -> s.getAttributes().getId()).toList());
    assertEquals(List.of(plain), env.runtime().listContainerStats(ListContainerStatsRequest.newBuilder().setFilter(
            ContainerStatsFilter.newBuilder().setId(plain.substring(0, 10))).build()).getStatsList().stream()
        .map(s -> s.getAttributes().getId()).toList());
    assertEquals(List.of(pod), env.runtime().listPodSandboxStats(ListPodSandboxStatsRequest.newBuilder().setFilter(
            PodSandboxStatsFilter.newBuilder().putLabelSelector("app", "stats")).build()).getStatsList().stream()
        .map(s -> s.getAttributes().getId()).toList());
    StatusRuntimeException missing = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> containerStats("ffff" + "0".repeat(60)));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
  }

  static long netDevField(long pid, String iface, int field) {
    try {
      return Files.readAllLines(Path.of("/proc/" + pid + "/net/dev")).stream()
          .filter(l -> l.contains(":") && l.split(":")[0].trim().equals(iface))
          .mapToLong(l -> Long.parseLong(l.split(":")[1].trim().split("\\s+")[field])).findFirst().orElseThrow();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static void awaitLog(String id, String line) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!env.logLines(env.status(id)).contains(line)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(id + " never logged " + line + ":\n" + env.log(env.status(id)));
      }
      Thread.sleep(50);
    }
  }
}
