package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CRI resources as cgroup v2 files, as runc and the kubelet translate them. */
class V2LimitFilesTest {

  private static final List<String> SIZES = List.of("1GB", "2MB");

  private static CgroupLimits cpuMemory(long shares, long quota, long period, long memory, long memoryAndSwap) {
    return new CgroupLimits(shares, quota, period, memory, memoryAndSwap, "", "", 0, Map.of(), Map.of());
  }

  private static List<CgroupFileWrite> writes(CgroupLimits limits) {
    return V2LimitFiles.writes(limits, SIZES, () -> {
      throw new AssertionError("cpu.max is read only when the period comes alone");
    });
  }

  @Test
  void sharesBecomeWeightOnRuncsLinearScale() {
    assertEquals(1, V2LimitFiles.weightFromShares(2));
    assertEquals(39, V2LimitFiles.weightFromShares(1024), "the default share is weight 39, as runc writes it");
    assertEquals(20, V2LimitFiles.weightFromShares(512));
    assertEquals(10000, V2LimitFiles.weightFromShares(262144));
    assertEquals(1, V2LimitFiles.weightFromShares(1), "below the v1 range: clamped as the kernel clamps shares");
    assertEquals(10000, V2LimitFiles.weightFromShares(1_000_000));
  }

  @Test
  void weightReadsBackAsTheSharesItCameFrom() {
    for (long shares : List.of(2L, 512L, 1024L, 262144L)) {
      long back = CgroupSpec.sharesFromWeight(V2LimitFiles.weightFromShares(shares));
      assertTrue(Math.abs(back - shares) <= 27, shares + " came back as " + back + " (one weight step is 26 shares)");
    }
  }

  @Test
  void aFullPodUpdateIsWeightMaxMemoryAndSwapInOrder() {
    CgroupLimits limits = new CgroupLimits(1024, 50_000, 100_000, 256L << 20, 384L << 20, "0-1", "0", 128,
        Map.of("2MB", 4L << 20), Map.of("memory.high", "200M"));
    assertEquals(List.of(
        CgroupFileWrite.of("cpu", "cpu.weight", "39"),
        CgroupFileWrite.of("cpu", "cpu.max", "50000 100000"),
        CgroupFileWrite.of("cpuset", "cpuset.cpus", "0-1"),
        CgroupFileWrite.of("cpuset", "cpuset.mems", "0"),
        CgroupFileWrite.of("memory", "memory.max", Long.toString(256L << 20)),
        CgroupFileWrite.of("memory", "memory.swap.max", Long.toString(128L << 20)),
        CgroupFileWrite.of("pids", "pids.max", "128"),
        CgroupFileWrite.of("hugetlb", "hugetlb.2MB.max", Long.toString(4L << 20)),
        CgroupFileWrite.of(CgroupFileWrite.UNIFIED, "memory.high", "200M")), writes(limits));
  }

  @Test
  void nothingSetWritesNothing() {
    assertEquals(List.of(), writes(CgroupLimits.NONE));
  }

  @Test
  void aNegativeQuotaIsMaxAndAQuotaAloneKeepsThePeriod() {
    assertEquals(List.of(CgroupFileWrite.of("cpu", "cpu.max", "max 100000")), writes(cpuMemory(0, -1, 100_000, 0, 0)));
    assertEquals(List.of(CgroupFileWrite.of("cpu", "cpu.max", "20000")), writes(cpuMemory(0, 20_000, 0, 0, 0)));
  }

  @Test
  void aPeriodAloneKeepsTheQuotaThereIs() {
    assertEquals(List.of(CgroupFileWrite.of("cpu", "cpu.max", "30000 50000")),
        V2LimitFiles.writes(cpuMemory(0, 0, 50_000, 0, 0), SIZES, () -> "30000 100000\n"));
    assertEquals(List.of(CgroupFileWrite.of("cpu", "cpu.max", "max 50000")),
        V2LimitFiles.writes(cpuMemory(0, 0, 50_000, 0, 0), SIZES, () -> "max 100000\n"));
  }

  @Test
  void noSwapAskedIsZeroSwapAndMayMeetANodeWithoutSwapAccounting() {
    CgroupFileWrite swap = writes(cpuMemory(0, 0, 0, 64L << 20, 64L << 20)).get(1);
    assertEquals(new CgroupFileWrite("memory", "memory.swap.max", "0", true), swap);
  }

  @Test
  void swapBelowMemoryOrWithoutMemoryIsRefusedNamingTheFields() {
    assertEquals("memory_swap_limit_in_bytes 10 is below memory_limit_in_bytes 20",
        assertThrows(IllegalArgumentException.class, () -> writes(cpuMemory(0, 0, 0, 20, 10))).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> writes(cpuMemory(0, 0, 0, 0, 10))).getMessage()
        .contains("needs memory_limit_in_bytes"));
  }

  @Test
  void aPageSizeTheNodeLacksIsRefused() {
    CgroupLimits limits = new CgroupLimits(0, 0, 0, 0, 0, "", "", 0, Map.of("16GB", 1L), Map.of());
    assertEquals("hugepage_limits page_size 16GB is not a huge page size of this node [1GB, 2MB]",
        assertThrows(IllegalArgumentException.class, () -> writes(limits)).getMessage());
  }

  @Test
  void unifiedKeysThatAreNotLimitFilesAreRefused() {
    for (String key : List.of("cgroup.procs", "cgroup.subtree_control", "../memory.max", "memory", "a/b.c", "")) {
      CgroupLimits limits = new CgroupLimits(0, 0, 0, 0, 0, "", "", 0, Map.of(), Map.of(key, "1"));
      assertThrows(IllegalArgumentException.class, () -> writes(limits), key);
    }
    assertTrue(CgroupLimits.isUnifiedFileName("memory.high"));
    assertTrue(CgroupLimits.isUnifiedFileName("cpu.weight.nice"));
    assertTrue(CgroupLimits.isUnifiedFileName("hugetlb.2MB.max"), "v2 names page sizes in upper case");
  }
}
