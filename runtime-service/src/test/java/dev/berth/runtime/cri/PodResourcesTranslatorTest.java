package dev.berth.runtime.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.cri.v1.HugepageLimit;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.runtime.cgroup.CgroupLimits;
import dev.berth.runtime.model.CriException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** UpdatePodSandboxResources' message as pod cgroup limits, and what the edge refuses. */
class PodResourcesTranslatorTest {

  @Test
  void everyFieldTheKubeletSendsBecomesALimit() {
    LinuxContainerResources resources = LinuxContainerResources.newBuilder().setCpuShares(1024).setCpuQuota(200_000)
        .setCpuPeriod(100_000).setMemoryLimitInBytes(512L << 20).setMemorySwapLimitInBytes(512L << 20)
        .setCpusetCpus("0-1,3").setCpusetMems("0")
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(4L << 20))
        .putUnified("memory.high", "400M").build();
    assertEquals(new CgroupLimits(1024, 200_000, 100_000, 512L << 20, 512L << 20, "0-1,3", "0", 0,
        Map.of("2MB", 4L << 20), Map.of("memory.high", "400M")), PodResourcesTranslator.limits(resources));
  }

  @Test
  void anEmptyMessageChangesNothing() {
    assertEquals(CgroupLimits.NONE, PodResourcesTranslator.limits(LinuxContainerResources.getDefaultInstance()));
  }

  private static String refusal(LinuxContainerResources.Builder resources) {
    return assertThrows(CriException.InvalidArgument.class, () -> PodResourcesTranslator.limits(resources.build()))
        .getMessage();
  }

  @Test
  void unifiedKeysThatAreNotControllerFilesAreRefusedByName() {
    assertEquals("resources.unified key \"cgroup.procs\" is not a cgroup v2 controller file (like memory.high; "
        + "cgroup.* files are refused)", refusal(LinuxContainerResources.newBuilder().putUnified("cgroup.procs", "1")));
    refusal(LinuxContainerResources.newBuilder().putUnified("../../etc/passwd", "x"));
    refusal(LinuxContainerResources.newBuilder().putUnified("memory.high\n", "1"));
    assertEquals("resources.unified value of memory.high holds a control character",
        refusal(LinuxContainerResources.newBuilder().putUnified("memory.high", "1\nmax")));
  }

  @Test
  void pageSizesAndCpuListsMustHaveTheKernelsForm() {
    assertEquals("resources.hugepage_limits page_size \"2 MB\" is not a page size like 2MB or 1GB",
        refusal(LinuxContainerResources.newBuilder().addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2 MB"))));
    assertEquals("resources.hugepage_limits names page_size 2MB twice", refusal(LinuxContainerResources.newBuilder()
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(1))
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(2))));
    assertEquals("resources.cpuset_cpus \"0-1\\n\" is not a list like 0-3,8",
        refusal(LinuxContainerResources.newBuilder().setCpusetCpus("0-1\n")));
    refusal(LinuxContainerResources.newBuilder().setCpusetMems("all"));
  }

  @Test
  void negativeValuesAreRefusedAsForAContainer() {
    refusal(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(-1));
  }
}
