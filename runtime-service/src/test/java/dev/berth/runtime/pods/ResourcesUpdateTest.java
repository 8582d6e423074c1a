package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.HugepageLimit;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.cri.v1.UpdatePodSandboxResourcesRequest;
import dev.berth.runtime.cgroup.CgroupVersion;
import dev.berth.runtime.testing.HostCgroupFiles;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.PodTestEnv;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UpdatePodSandboxResources (and container hugepage limits) through the daemon's socket, on
 * whatever cgroups this host has (v1, hybrid or v2): the cgroup files show the limits in the
 * host's own format, hugetlb reaches the hierarchy that has it (the v2 mount of this hybrid node,
 * where runc cannot), the unified map goes where a v2 hierarchy is, and bad resources are refused
 * by field without touching a file.
 */
@Tag("integration")
@Timeout(180)
class ResourcesUpdateTest extends PodTestCase {

  private static final HostCgroupFiles HOST = HostCgroupFiles.ofThisHost();

  private void update(String pod, LinuxContainerResources.Builder resources) {
    env.runtime().updatePodSandboxResources(UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId(pod)
        .setResources(resources).build());
  }

  private StatusRuntimeException refused(String pod, LinuxContainerResources.Builder resources) {
    return assertThrows(StatusRuntimeException.class, () -> update(pod, resources));
  }

  private String runPodWithMember() {
    String pod = env.runPod();
    env.runContainer(pod, env.containerConfig("member", "sleep", "600").build());
    return pod;
  }

  @Test
  void cpuAndMemoryWithoutSwapReachThePodCgroupInTheHostsFormat() {
    String pod = runPodWithMember();
    update(pod, LinuxContainerResources.newBuilder().setCpuShares(2048).setCpuQuota(150_000).setCpuPeriod(100_000)
        .setMemoryLimitInBytes(256L << 20).setMemorySwapLimitInBytes(256L << 20));
    String podCgroup = env.cgroupRoot() + "/" + pod;
    for (HostCgroupFiles.LimitFile limit : List.of(HOST.cpuShares(2048), HOST.cpuQuota(150_000, 100_000),
        HOST.memoryLimit(256L << 20))) {
      assertEquals(limit.content(), HOST.read(podCgroup, limit), HOST.version() + " " + limit.file());
    }
  }

  @Test
  void aHugepageLimitReachesTheHugetlbControllerWhereverTheHostHasIt() throws Exception {
    String pod = runPodWithMember();
    String podCgroup = env.cgroupRoot() + "/" + pod;
    Optional<Path> hugetlb = HOST.hugetlbDir(podCgroup);
    assertTrue(!HOST.pageSizes().isEmpty(), "this host has huge page sizes in /sys/kernel/mm/hugepages");
    String size = HOST.pageSizes().contains("2MB") ? "2MB" : HOST.pageSizes().getFirst();
    LinuxContainerResources.Builder limit = LinuxContainerResources.newBuilder()
        .addHugepageLimits(HugepageLimit.newBuilder().setPageSize(size).setLimit(1L << 30));
    if (hugetlb.isEmpty()) {
      StatusRuntimeException e = refused(pod, limit);
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().contains("no hugetlb hierarchy"), e.getStatus().getDescription());
      return;
    }
    update(pod, limit);
    // On this hybrid node that is the v2 mount, which the daemon delegated hugetlb down to.
    assertEquals(Long.toString(1L << 30), Files.readString(hugetlb.get().resolve(HOST.hugetlbLimitFile(size))).trim());
  }

  @Test
  void theUnifiedMapIsWrittenWhereAV2HierarchyIsAndRefusedOnPureV1() throws Exception {
    String pod = runPodWithMember();
    String podCgroup = env.cgroupRoot() + "/" + pod;
    switch (HOST.version()) {
      case V1 -> {
        StatusRuntimeException e = refused(pod, LinuxContainerResources.newBuilder().putUnified("memory.high", "1G"));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("unified"), e.getStatus().getDescription());
      }
      case V2 -> {
        update(pod, LinuxContainerResources.newBuilder().putUnified("memory.high", "268435456"));
        assertEquals("268435456",
            Files.readString(PodTestEnv.cgroupDir("memory", podCgroup).resolve("memory.high")).trim());
      }
      case HYBRID -> {
        // Here only hugetlb lives on the v2 mount: a unified key reaches the pod's v2 directory.
        Path unified = HOST.hugetlbDir(podCgroup).orElseThrow(
            () -> new AssertionError("this hybrid host was expected to offer hugetlb on its v2 mount"));
        String size = HOST.pageSizes().getFirst();
        update(pod, LinuxContainerResources.newBuilder().putUnified("hugetlb." + size + ".max", "0"));
        assertEquals("0", Files.readString(unified.resolve("hugetlb." + size + ".max")).trim());
      }
    }
  }

  @Test
  void aContainersHugepageLimitReachesItsHugetlbControllerAtCreateAndUpdate() throws Exception {
    String pod = env.runPod();
    String size = HOST.pageSizes().contains("2MB") ? "2MB" : HOST.pageSizes().getFirst();
    String id = env.runContainer(pod, env.containerConfig("huge", "sleep", "600")
        .setLinux(dev.berth.cri.v1.LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
            .addHugepageLimits(HugepageLimit.newBuilder().setPageSize(size).setLimit(2L << 30)))).build());
    String cgroup = env.cgroupRoot() + "/" + pod + "/" + id;
    Path dir = HOST.hugetlbDir(cgroup).orElseThrow(() -> new AssertionError("this host has no hugetlb controller"));
    assertEquals(Long.toString(2L << 30), Files.readString(dir.resolve(HOST.hugetlbLimitFile(size))).trim(), "at create");
    env.runtime().updateContainerResources(dev.berth.cri.v1.UpdateContainerResourcesRequest.newBuilder()
        .setContainerId(id).setLinux(LinuxContainerResources.newBuilder()
            .addHugepageLimits(HugepageLimit.newBuilder().setPageSize(size).setLimit(1L << 30))).build());
    assertEquals(Long.toString(1L << 30), Files.readString(dir.resolve(HOST.hugetlbLimitFile(size))).trim(), "at update");
  }

  @Test
  void badResourcesAreRefusedNamingTheFieldAndTheDaemonServesOn() throws Exception {
    String pod = runPodWithMember();
    String podCgroup = env.cgroupRoot() + "/" + pod;
    String procsBefore = Files.readString(HOST.procs(podCgroup));
    record Case(LinuxContainerResources.Builder resources, String named) {}
    for (Case bad : List.of(
        new Case(LinuxContainerResources.newBuilder().putUnified("cgroup.procs", "1"), "resources.unified key \"cgroup.procs\""),
        new Case(LinuxContainerResources.newBuilder().putUnified("../../memory.max", "1"), "resources.unified key"),
        new Case(LinuxContainerResources.newBuilder().addHugepageLimits(
            HugepageLimit.newBuilder().setPageSize("2XB").setLimit(1)), "resources.hugepage_limits page_size \"2XB\""),
        new Case(LinuxContainerResources.newBuilder().addHugepageLimits(
            HugepageLimit.newBuilder().setPageSize("16GB").setLimit(1)), "page_size 16GB is not a huge page size of this node"),
        new Case(LinuxContainerResources.newBuilder().setCpusetCpus("0;1"), "resources.cpuset_cpus \"0;1\""),
        new Case(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20).setMemorySwapLimitInBytes(32L << 20),
            "memory_swap_limit_in_bytes 33554432 is below memory_limit_in_bytes 67108864"))) {
      StatusRuntimeException e = refused(pod, bad.resources());
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().contains(bad.named()), e.getStatus().getDescription());
    }
    assertEquals(procsBefore, Files.readString(HOST.procs(podCgroup)), "no process moved");
    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
        () -> update("0".repeat(64), LinuxContainerResources.newBuilder().setCpuShares(512)));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    update(pod, LinuxContainerResources.newBuilder().setCpuShares(512));
    assertEquals(HOST.cpuShares(512).content(), HOST.read(podCgroup, HOST.cpuShares(512)));
  }
}
