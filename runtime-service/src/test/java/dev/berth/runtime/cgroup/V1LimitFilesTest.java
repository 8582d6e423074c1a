package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CRI resources as cgroup v1 files, and where a hybrid node puts what v1 lacks. */
class V1LimitFilesTest {

  private static final List<String> SIZES = List.of("1GB", "2MB");

  private static CgroupLimits memory(long memory, long memoryAndSwap) {
    return new CgroupLimits(0, 0, 0, memory, memoryAndSwap, "", "", 0, Map.of(), Map.of());
  }

  @Test
  void cpuWritesThePeriodBeforeTheQuota() {
    CgroupLimits limits = new CgroupLimits(512, 25_000, 50_000, 0, 0, "1", "", 0, Map.of(), Map.of());
    assertEquals(List.of(
        CgroupFileWrite.of("cpu", "cpu.shares", 512),
        CgroupFileWrite.of("cpu", "cpu.cfs_period_us", 50_000),
        CgroupFileWrite.of("cpu", "cpu.cfs_quota_us", 25_000),
        CgroupFileWrite.of("cpuset", "cpuset.cpus", "1")),
        V1LimitFiles.writes(limits, SIZES, false, false, () -> 0));
  }

  @Test
  void raisingMemoryAboveTheCurrentMemswWritesMemswFirst() {
    assertEquals(List.of("memory.memsw.limit_in_bytes", "memory.limit_in_bytes"),
        files(V1LimitFiles.writes(memory(200, 300), SIZES, false, false, () -> 100)));
    assertEquals(List.of("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"),
        files(V1LimitFiles.writes(memory(50, 80), SIZES, false, false, () -> 100)));
  }

  @Test
  void memswEqualToMemoryIsNoSwapAndOptional() {
    List<CgroupFileWrite> writes = V1LimitFiles.writes(memory(64, 64), SIZES, false, false, () -> Long.MAX_VALUE);
    assertEquals(new CgroupFileWrite("memory", "memory.memsw.limit_in_bytes", "64", true), writes.get(1));
  }

  @Test
  void hugetlbIsNamedForTheHierarchyThatHasIt() {
    CgroupLimits limits = new CgroupLimits(0, 0, 0, 0, 0, "", "", 0, Map.of("2MB", 2097152L), Map.of());
    assertEquals(List.of(CgroupFileWrite.of("hugetlb", "hugetlb.2MB.limit_in_bytes", 2097152)),
        V1LimitFiles.writes(limits, SIZES, false, false, () -> 0));
    assertEquals(List.of(CgroupFileWrite.of("hugetlb", "hugetlb.2MB.max", 2097152)),
        V1LimitFiles.writes(limits, SIZES, true, true, () -> 0), "hybrid: the v2 file on the unified mount");
  }

  @Test
  void theUnifiedMapNeedsAV2Hierarchy() {
    CgroupLimits limits = new CgroupLimits(0, 0, 0, 0, 0, "", "", 0, Map.of(), Map.of("hugetlb.2MB.max", "0"));
    assertEquals("unified [hugetlb.2MB.max]: this node mounts cgroup v1 only, which has no unified hierarchy",
        assertThrows(UnsupportedOperationException.class,
            () -> V1LimitFiles.writes(limits, SIZES, false, false, () -> 0)).getMessage());
    assertEquals(List.of(CgroupFileWrite.of(CgroupFileWrite.UNIFIED, "hugetlb.2MB.max", "0")),
        V1LimitFiles.writes(limits, SIZES, true, true, () -> 0));
  }

  @Test
  void aNegativeQuotaAndPidsLimitMeanNoLimit() {
    CgroupLimits limits = new CgroupLimits(0, -5, 0, 0, 0, "", "", -1, Map.of(), Map.of());
    assertEquals(List.of(CgroupFileWrite.of("cpu", "cpu.cfs_quota_us", -1), CgroupFileWrite.of("pids", "pids.max", "max")),
        V1LimitFiles.writes(limits, SIZES, false, false, () -> 0));
  }

  private static List<String> files(List<CgroupFileWrite> writes) {
    return writes.stream().map(CgroupFileWrite::file).toList();
  }
}
