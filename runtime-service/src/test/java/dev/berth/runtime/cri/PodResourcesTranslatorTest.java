package dev.berth.runtime.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.cri.v1.HugepageLimit;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.runtime.cgroup.CgroupLimits;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cgroup.CgroupMounts;
import dev.berth.runtime.model.CriException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * The whole way on a v2 node without root: the kubelet's message for a pod of two containers
   * (500m CPU limit, 1 GiB, no swap) through the edge and the v2 model into a pod cgroup laid out
   * in a temp directory as the kernel lays it out.
   */
  @Test
  void aKubeletPodUpdateLandsInTheV2FilesOfThePodCgroup(@TempDir Path tmp) throws Exception {
    Path pod = tmp.resolve("kubepods/burstable/pod1");
    Files.createDirectories(pod);
    Files.writeString(tmp.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids\n");
    Files.writeString(tmp.resolve("cgroup.subtree_control"), "cpuset cpu io memory hugetlb pids\n");
    for (String file : List.of("cpu.weight", "cpu.max", "memory.max", "memory.swap.max")) {
      Files.writeString(pod.resolve(file), "");
    }
    CgroupModel v2 = CgroupModel.of(CgroupMounts.parse("26 23 0:24 / " + tmp + " rw - cgroup2 cgroup2 rw\n"),
        List.of("2MB"));
    v2.apply("/kubepods/burstable/pod1", PodResourcesTranslator.limits(LinuxContainerResources.newBuilder()
        .setCpuShares(512).setCpuQuota(50_000).setCpuPeriod(100_000).setMemoryLimitInBytes(1L << 30)
        .setMemorySwapLimitInBytes(1L << 30).build()));
    assertEquals("20", Files.readString(pod.resolve("cpu.weight")));
    assertEquals("50000 100000", Files.readString(pod.resolve("cpu.max")));
    assertEquals(Long.toString(1L << 30), Files.readString(pod.resolve("memory.max")));
    assertEquals("0", Files.readString(pod.resolve("memory.swap.max")));
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
