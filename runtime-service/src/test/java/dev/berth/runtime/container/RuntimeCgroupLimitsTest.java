package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cgroup.CgroupMounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which limits runc gets and which the cgroup model writes, on a hybrid and a v2 tree in a temp directory. */
class RuntimeCgroupLimitsTest {

  private static final String CONTAINER = "/berth/pod1/ctr1";
  private static final LinuxResources WITH_HUGEPAGES = new LinuxResources(100_000, 50_000, 512, 64L << 20, 0, "", "",
      0, List.of(new LinuxResources.HugepageLimit("2MB", 4L << 20)));

  @TempDir
  Path tmp;

  private CgroupModel tree(boolean hybrid) throws Exception {
    Path unified = tmp.resolve("unified");
    Files.createDirectories(unified.resolve(CONTAINER.substring(1)));
    Files.writeString(unified.resolve("cgroup.controllers"), "hugetlb\n");
    Files.writeString(unified.resolve(CONTAINER.substring(1)).resolve("hugetlb.2MB.max"), "max\n");
    String mountinfo = "41 31 0:38 / " + unified + " rw - cgroup2 cgroup2 rw\n";
    if (hybrid) {
      mountinfo = "35 31 0:32 / " + tmp.resolve("memory") + " rw - cgroup cgroup rw,memory\n" + mountinfo;
    }
    return CgroupModel.of(CgroupMounts.parse(mountinfo), List.of("2MB"));
  }

  @Test
  void onAHybridNodeRuncGetsNoHugepageLimitsAndTheModelWritesThemOnTheV2Mount() throws Exception {
    RuntimeCgroupLimits limits = new RuntimeCgroupLimits(tree(true));
    LinuxResources forRuntime = limits.forRuntime(WITH_HUGEPAGES);
    assertEquals(List.of(), forRuntime.hugepageLimits());
    assertEquals(512, forRuntime.cpuShares(), "the rest stays runc's");
    limits.applyHeldBack(CONTAINER, WITH_HUGEPAGES);
    assertEquals(Long.toString(4L << 20), Files.readString(tmp.resolve("unified/berth/pod1/ctr1/hugetlb.2MB.max")));
  }

  @Test
  void onAV2NodeRuncGetsEverythingAndNothingIsHeldBack() throws Exception {
    RuntimeCgroupLimits limits = new RuntimeCgroupLimits(tree(false));
    assertEquals(WITH_HUGEPAGES, limits.forRuntime(WITH_HUGEPAGES));
    limits.applyHeldBack(CONTAINER, WITH_HUGEPAGES);
    assertEquals("max\n", Files.readString(tmp.resolve("unified/berth/pod1/ctr1/hugetlb.2MB.max")));
  }
}
