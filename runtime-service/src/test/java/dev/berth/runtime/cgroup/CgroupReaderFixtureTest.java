package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The readers against trees of real cgroup files: the hybrid tree was copied from this kernel
 * (6.18, v1 controllers, hugetlb on the v2 mount) after a shell looped, wrote with fsync and read
 * 3 MB; the v2 tree holds a v2 node's files of one container with limits, throttling and an OOM kill.
 */
class CgroupReaderFixtureTest {

  private static final String CONTAINER = "/kubepods/pod1/ctr1";

  private static Path fixture(String name) throws URISyntaxException {
    return Path.of(CgroupReaderFixtureTest.class.getResource("/cgroup-fixtures/" + name).toURI());
  }

  private static CgroupReader hybrid() throws URISyntaxException {
    Path root = fixture("hybrid");
    Map<String, Path> controllers = Map.of("cpu", root.resolve("cpu"), "cpuacct", root.resolve("cpuacct"),
        "memory", root.resolve("memory"), "blkio", root.resolve("blkio"), "pids", root.resolve("pids"));
    return new CgroupV1Reader(controllers, root.resolve("unified"), List.of("1GB", "2MB"));
  }

  @Test
  void v1CpuTotalIsTheSumOfPerCpuUsageAndUserSystemComeFromUsageAll() throws Exception {
    CgroupStats.Cpu cpu = hybrid().read(CONTAINER).orElseThrow().cpu().orElseThrow();
    assertEquals(23859865L, cpu.usageNanos(), "cpuacct.usage");
    assertEquals(List.of(3293626L, 20566239L), cpu.perCpuNanos());
    assertEquals(16_000_000L, cpu.userNanos());
    assertEquals(4_000_000L, cpu.systemNanos());
    assertEquals(0, cpu.periods());
    assertEquals(0, cpu.throttledNanos());
  }

  @Test
  void v1MemoryUsesHierarchicalStatsAndSubtractsInactiveFileForTheWorkingSet() throws Exception {
    CgroupStats.Memory memory = hybrid().read(CONTAINER).orElseThrow().memory().orElseThrow();
    assertEquals(233472, memory.usage());
    assertEquals(0, memory.limit(), "9223372036854771712 is no limit");
    assertEquals(5451776, memory.maxUsage());
    assertEquals(106496, memory.cache());
    assertEquals(0, memory.rss());
    assertEquals(8192, memory.kernel());
    assertEquals(65536, memory.inactiveFile());
    assertEquals(40960, memory.activeFile(), "total_active_file");
    assertEquals(233472 - 65536, memory.workingSet());
    assertEquals(397, memory.pageFaults());
    assertEquals(3, memory.majorPageFaults());
    assertEquals(397, memory.ownPageFaults());
    assertEquals(0, memory.swap(), "memsw equals usage");
    assertEquals(0, memory.oomKills());
  }

  @Test
  void v1BlkioThrottleCountersPerDeviceAndOperationWithoutTimes() throws Exception {
    List<CgroupStats.BlockDevice> devices = hybrid().read(CONTAINER).orElseThrow().blockDevices();
    assertEquals(1, devices.size());
    CgroupStats.BlockDevice vda = devices.getFirst();
    assertEquals(254, vda.major());
    assertEquals(0, vda.minor());
    assertEquals(5251072L, vda.bytes().get("Write"));
    assertEquals(10493952L, vda.bytes().get("Total"));
    assertEquals(68L, vda.ios().get("Write"));
    assertEquals(3L, vda.ios().get("Discard"));
    assertTrue(vda.serviceNanos().isEmpty() && vda.waitNanos().isEmpty() && vda.queued().isEmpty());
  }

  @Test
  void hybridReadsPidsFromV1AndHugetlbFromTheUnifiedMount() throws Exception {
    CgroupStats stats = hybrid().read(CONTAINER).orElseThrow();
    assertEquals(new CgroupStats.Pids(0, 0), stats.pids().orElseThrow());
    assertEquals(List.of(new CgroupStats.Hugetlb("1GB", 0, -1, 0, 0), new CgroupStats.Hugetlb("2MB", 0, -1, 0, 0)),
        stats.hugetlb());
  }

  @Test
  void aMissingCgroupReadsAsEmpty() throws Exception {
    assertTrue(hybrid().read("/kubepods/pod1/gone").isEmpty());
    assertTrue(new CgroupV2Reader(fixture("v2"), List.of("2MB")).read("/kubepods/gone").isEmpty());
  }

  @Test
  void v2CpuConvertsMicrosecondsAndHasNoPerCpuSplit() throws Exception {
    CgroupStats.Cpu cpu = new CgroupV2Reader(fixture("v2"), List.of()).read(CONTAINER).orElseThrow().cpu().orElseThrow();
    assertEquals(new CgroupStats.Cpu(8237141000L, 6312544000L, 1924597000L, List.of(), 1204, 87, 2391122000L), cpu);
  }

  @Test
  void v2MemoryMapsAnonFileKernelAndEvents() throws Exception {
    CgroupStats.Memory memory = new CgroupV2Reader(fixture("v2"), List.of()).read(CONTAINER).orElseThrow()
        .memory().orElseThrow();
    assertEquals(new CgroupStats.Memory(54865920, 268435456, 71303168, 12, 12009472, 40153088, 0, 2490368, 6619136,
        3219456, 8790016, 54865920 - 8790016, 82314, 41, -1, -1, 1), memory);
  }

  @Test
  void v2IoStatPerDeviceWithATotalAndPidsAndHugetlb() throws Exception {
    CgroupStats stats = new CgroupV2Reader(fixture("v2"), List.of("1GB", "2MB")).read(CONTAINER).orElseThrow();
    assertEquals(2, stats.blockDevices().size());
    CgroupStats.BlockDevice vda = stats.blockDevices().stream().filter(d -> d.major() == 254).findFirst().orElseThrow();
    assertEquals(Map.of("Read", 1482752L, "Write", 10485760L, "Discard", 0L, "Total", 11968512L), vda.bytes());
    assertEquals(Map.of("Read", 97L, "Write", 160L, "Discard", 0L, "Total", 257L), vda.ios());
    assertEquals(new CgroupStats.Pids(7, 1024), stats.pids().orElseThrow());
    assertEquals(List.of(new CgroupStats.Hugetlb("1GB", 0, -1, 0, 0),
        new CgroupStats.Hugetlb("2MB", 4194304, -1, 8388608, 3)), stats.hugetlb());
  }

  @Test
  void v1SpecReadsSharesQuotaPeriodAndTreatsUnlimitedAsNotSet() throws Exception {
    // cpu.cfs_quota_us -1 (no quota), soft limit and memsw limit at the kernel's "unlimited".
    assertEquals(new CgroupSpec(1024, 0, 100000, 0, 0), hybrid().spec(CONTAINER).orElseThrow());
    assertTrue(hybrid().spec("/kubepods/pod1/gone").isEmpty());
  }

  @Test
  void v2SpecReadsCpuMaxWeightLowAndSwapMax() throws Exception {
    // cpu.max "50000 100000", cpu.weight 79 (runc's weight for 2048 shares: the inverse lands on
    // 2046, as integer division loses the rest), memory.low 64 MiB, memory.swap.max "max".
    assertEquals(new CgroupSpec(2046, 50000, 100000, 67108864, 0),
        new CgroupV2Reader(fixture("v2"), List.of()).spec(CONTAINER).orElseThrow());
    assertTrue(new CgroupV2Reader(fixture("v2"), List.of()).spec("/kubepods/gone").isEmpty());
  }

  @Test
  void processesAreListedWhereThePidsHierarchyIs() throws Exception {
    Path root = fixture("hybrid");
    assertEquals(root.resolve("pids/kubepods/pod1/ctr1"), hybrid().processesDir(CONTAINER).orElseThrow());
    assertEquals(fixture("v2").resolve("kubepods/pod1/ctr1"),
        new CgroupV2Reader(fixture("v2"), List.of()).processesDir(CONTAINER).orElseThrow());
  }

  @Test
  void pageSizesAreNamedAsTheKernelNamesThem() {
    assertEquals("2MB", HugetlbFiles.sizeName(2048));
    assertEquals("1GB", HugetlbFiles.sizeName(1048576));
    assertEquals("64KB", HugetlbFiles.sizeName(64));
  }

  @Test
  void pathsThatLeaveTheHierarchyAreRefused() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> hybrid().read("/kubepods/../../etc"));
  }
}
