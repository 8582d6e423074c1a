package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both models against trees in a temp directory laid out as the kernel lays out its hierarchies
 * (the mount points come from a mountinfo naming the temp directories): where files are, what
 * UpdatePodSandboxResources writes, pod cgroups made and removed, controllers enabled.
 */
class CgroupModelTest {

  private static final String POD = "/kubepods/pod1";
  private static final List<String> SIZES = List.of("1GB", "2MB");

  @TempDir
  Path tmp;

  private static String mountLine(int id, Path mountPoint, String fsType, String options) {
    return id + " 31 0:" + id + " / " + mountPoint + " rw,relatime - " + fsType + " " + fsType + " " + options + "\n";
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  /** A v2 node: controllers offered at the root, the pod's limit files present as the kernel makes them. */
  private CgroupModel v2() throws IOException {
    Path root = tmp.resolve("v2");
    write(root.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
    write(root.resolve("cgroup.subtree_control"), "\n");
    Path pod = root.resolve(POD.substring(1));
    for (String file : List.of("cpu.weight", "cpu.max", "cpuset.cpus", "cpuset.mems", "memory.max", "memory.swap.max",
        "memory.high", "pids.max", "hugetlb.2MB.max", "hugetlb.1GB.max")) {
      write(pod.resolve(file), "");
    }
    write(pod.resolve("cpu.max"), "max 100000\n");
    return CgroupModel.of(CgroupMounts.parse(mountLine(26, root, "cgroup2", "rw,nsdelegate")), SIZES);
  }

  /** This machine's layout: v1 controllers, hugetlb only on the unified mount. */
  private CgroupModel hybrid() throws IOException {
    StringBuilder mountinfo = new StringBuilder();
    int id = 32;
    for (String controller : List.of("cpu", "cpuacct", "cpuset", "memory", "blkio", "pids")) {
      mountinfo.append(mountLine(id++, tmp.resolve(controller), "cgroup", "rw," + controller));
      Files.createDirectories(tmp.resolve(controller).resolve(POD.substring(1)));
    }
    Path unified = tmp.resolve("unified");
    mountinfo.append(mountLine(id, unified, "cgroup2", "rw"));
    write(unified.resolve("cgroup.controllers"), "hugetlb\n");
    write(tmp.resolve("cpu").resolve(POD.substring(1)).resolve("cpu.shares"), "1024\n");
    write(tmp.resolve("cpu").resolve(POD.substring(1)).resolve("cpu.cfs_quota_us"), "-1\n");
    write(tmp.resolve("cpu").resolve(POD.substring(1)).resolve("cpu.cfs_period_us"), "100000\n");
    write(tmp.resolve("memory").resolve(POD.substring(1)).resolve("memory.limit_in_bytes"), "9223372036854771712\n");
    write(unified.resolve(POD.substring(1)).resolve("hugetlb.2MB.max"), "max\n");
    return CgroupModel.of(CgroupMounts.parse(mountinfo.toString()), SIZES);
  }

  private String read(Path file) throws IOException {
    return Files.readString(file);
  }

  @Test
  void v2PodUpdateWritesV2FilesInThePodDirectory() throws Exception {
    CgroupModel model = v2();
    model.apply(POD, new CgroupLimits(2048, 150_000, 100_000, 512L << 20, 512L << 20, "0", "0", 0,
        Map.of("2MB", 0L), Map.of("memory.high", "400M")));
    Path pod = tmp.resolve("v2/kubepods/pod1");
    assertEquals("79", read(pod.resolve("cpu.weight")), "1 + (2048 - 2) * 9999 / 262142");
    assertEquals("150000 100000", read(pod.resolve("cpu.max")));
    assertEquals(Long.toString(512L << 20), read(pod.resolve("memory.max")));
    assertEquals("0", read(pod.resolve("memory.swap.max")), "memory plus swap equal to memory: no swap");
    assertEquals("0", read(pod.resolve("cpuset.cpus")));
    assertEquals("0", read(pod.resolve("hugetlb.2MB.max")));
    assertEquals("400M", read(pod.resolve("memory.high")));
    assertEquals("", read(pod.resolve("pids.max")), "no pids limit asked: left as it was");
  }

  @Test
  void aProcessStartedElsewhereIsPlacedInEveryHierarchyAndDeniedEveryDeviceOnV1() throws Exception {
    String mountinfo = mountLine(40, tmp.resolve("memory"), "cgroup", "rw,memory")
        + mountLine(41, tmp.resolve("devices"), "cgroup", "rw,devices")
        + mountLine(43, tmp.resolve("cpuset"), "cgroup", "rw,cpuset")
        + mountLine(42, tmp.resolve("unified"), "cgroup2", "rw");
    CgroupModel model = CgroupModel.of(CgroupMounts.parse(mountinfo), SIZES);
    String infra = POD + "/infra";
    model.create(infra);
    // The kernel makes these files with the directory; a new v1 cpuset cgroup has no CPUs or memory nodes.
    write(tmp.resolve("devices").resolve(infra.substring(1)).resolve("devices.deny"), "");
    write(tmp.resolve("cpuset/cpuset.cpus"), "0-1\n");
    write(tmp.resolve("cpuset/cpuset.mems"), "0\n");
    for (String level : List.of("kubepods", "kubepods/pod1", "kubepods/pod1/infra")) {
      write(tmp.resolve("cpuset").resolve(level).resolve("cpuset.cpus"), level.equals("kubepods") ? "1\n" : "\n");
      write(tmp.resolve("cpuset").resolve(level).resolve("cpuset.mems"), "\n");
    }

    model.denyAllDevices(infra);
    model.place(4242, infra);

    assertEquals("a", read(tmp.resolve("devices").resolve(infra.substring(1)).resolve("devices.deny")));
    assertEquals("1", read(tmp.resolve("cpuset/kubepods/pod1/infra/cpuset.cpus")), "its parent's CPUs");
    assertEquals("0", read(tmp.resolve("cpuset/kubepods/pod1/infra/cpuset.mems")), "the root's memory nodes");
    for (String hierarchy : List.of("memory", "devices", "cpuset", "unified")) {
      assertEquals("4242", read(tmp.resolve(hierarchy).resolve(infra.substring(1)).resolve("cgroup.procs")), hierarchy);
    }
  }

  @Test
  void v2HasNoDeviceFileToDenyThrough() throws Exception {
    CgroupModel model = v2();
    assertThrows(UnsupportedOperationException.class, () -> model.denyAllDevices(POD));
    model.place(4242, POD);
    assertEquals("4242", read(tmp.resolve("v2/kubepods/pod1/cgroup.procs")));
  }

  @Test
  void v2PeriodAloneKeepsTheQuotaTheCgroupHas() throws Exception {
    CgroupModel model = v2();
    model.apply(POD, new CgroupLimits(0, 0, 50_000, 0, 0, "", "", 0, Map.of(), Map.of()));
    assertEquals("max 50000", read(tmp.resolve("v2/kubepods/pod1/cpu.max")));
  }

  @Test
  void aMissingFileIsNamedInTheError() throws Exception {
    CgroupModel model = v2();
    Files.delete(tmp.resolve("v2/kubepods/pod1/memory.max"));
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> model.apply(POD, new CgroupLimits(0, 0, 0, 1 << 20, 0, "", "", 0, Map.of(), Map.of())));
    assertTrue(e.getMessage().startsWith(tmp.resolve("v2/kubepods/pod1/memory.max") + ": cgroup file does not exist"),
        e.getMessage());
  }

  @Test
  void aFileTheKernelRefusesIsNamedWithTheValue() throws Exception {
    CgroupModel model = v2();
    Path weight = tmp.resolve("v2/kubepods/pod1/cpu.weight");
    Files.delete(weight);
    Files.createDirectory(weight); // a write to it fails, as a kernel EINVAL would
    IOException e = assertThrows(IOException.class,
        () -> model.apply(POD, new CgroupLimits(1024, 0, 0, 0, 0, "", "", 0, Map.of(), Map.of())));
    assertTrue(e.getMessage().startsWith("writing '39' to " + weight + ": "), e.getMessage());
  }

  @Test
  void hybridPodUpdateWritesV1FilesAndHugetlbOnTheUnifiedMount() throws Exception {
    CgroupModel model = hybrid();
    assertEquals(CgroupVersion.HYBRID, model.version());
    model.apply(POD, new CgroupLimits(512, 20_000, 50_000, 64L << 20, 0, "", "", 0, Map.of("2MB", 4L << 20), Map.of()));
    assertEquals("512", read(tmp.resolve("cpu/kubepods/pod1/cpu.shares")));
    assertEquals("50000", read(tmp.resolve("cpu/kubepods/pod1/cpu.cfs_period_us")));
    assertEquals("20000", read(tmp.resolve("cpu/kubepods/pod1/cpu.cfs_quota_us")));
    assertEquals(Long.toString(64L << 20), read(tmp.resolve("memory/kubepods/pod1/memory.limit_in_bytes")));
    assertEquals(Long.toString(4L << 20), read(tmp.resolve("unified/kubepods/pod1/hugetlb.2MB.max")));
  }

  @Test
  void directoriesAreWhereEachControllerLives() throws Exception {
    CgroupModel hybrid = hybrid();
    assertEquals(Optional.of(tmp.resolve("memory/kubepods/pod1")), hybrid.directory("memory", POD));
    assertEquals(Optional.of(tmp.resolve("unified/kubepods/pod1")), hybrid.directory("hugetlb", POD));
    assertEquals(Optional.empty(), hybrid.directory("io", POD), "v1 calls it blkio");
    CgroupModel v2 = v2();
    assertEquals(Optional.of(tmp.resolve("v2/kubepods/pod1")), v2.directory("memory", POD));
    assertEquals(Optional.of(tmp.resolve("v2/kubepods/pod1")), v2.directory("pids", POD));
  }

  @Test
  void v2CreateEnablesThePodControllersDownToThePod() throws Exception {
    CgroupModel model = v2();
    model.create("/berth/podX");
    Path pod = tmp.resolve("v2/berth/podX");
    assertTrue(Files.isDirectory(pod));
    // A temp tree keeps only the last "+controller" written; the kernel would add each one.
    assertTrue(read(tmp.resolve("v2/cgroup.subtree_control")).startsWith("+"), "the root enabled controllers");
    assertFalse(read(tmp.resolve("v2/cgroup.subtree_control")).contains("rdma"));
  }

  @Test
  void controllersAlreadyEnabledAreNotWrittenAgain() throws Exception {
    CgroupModel model = v2();
    Path control = tmp.resolve("v2/cgroup.subtree_control");
    Files.writeString(control, "cpuset cpu io memory hugetlb pids\n");
    write(tmp.resolve("v2/kubepods/cgroup.controllers"), "cpuset cpu io memory hugetlb pids\n");
    write(tmp.resolve("v2/kubepods/cgroup.subtree_control"), "cpuset cpu io memory hugetlb pids\n");
    write(tmp.resolve("v2/kubepods/pod1/cgroup.controllers"), "cpu memory pids\n");
    write(tmp.resolve("v2/kubepods/pod1/cgroup.subtree_control"), "cpu memory pids\n");
    model.enableControllersBelow(POD);
    assertEquals("cpuset cpu io memory hugetlb pids\n", read(control));
    assertEquals("cpu memory pids\n", read(tmp.resolve("v2/kubepods/pod1/cgroup.subtree_control")));
  }

  @Test
  void removeTakesThePodOutOfEveryHierarchy() throws Exception {
    CgroupModel model = hybrid();
    model.create("/berth/podX/ctr");
    for (Path root : model.hierarchyRoots()) {
      assertTrue(Files.isDirectory(root.resolve("berth/podX/ctr")), root.toString());
    }
    model.remove("/berth/podX");
    for (Path root : model.hierarchyRoots()) {
      assertFalse(Files.exists(root.resolve("berth/podX")), root.toString());
      assertTrue(Files.isDirectory(root.resolve("berth")), "the parent stays: " + root);
    }
  }

  @Test
  void theRootAndPathsThatLeaveItAreRefused() throws Exception {
    CgroupModel model = v2();
    assertThrows(IllegalArgumentException.class, () -> model.create("/"));
    assertThrows(IllegalArgumentException.class, () -> model.remove("/kubepods/../.."));
    assertThrows(IllegalArgumentException.class, () -> model.apply("/../etc", CgroupLimits.NONE));
  }

  @Test
  void theV2ModelReadsTheKernelsV2Files() throws Exception {
    Path fixture = Path.of(CgroupModelTest.class.getResource("/cgroup-fixtures/v2").toURI());
    CgroupModel model = CgroupModel.of(CgroupMounts.parse(mountLine(26, fixture, "cgroup2", "rw")), SIZES);
    CgroupStats stats = model.reader().read("/kubepods/pod1/ctr1").orElseThrow();
    assertEquals(new CgroupStats.Pids(7, 1024), stats.pids().orElseThrow(), "pids.current, pids.max");
    assertEquals(54865920, stats.memory().orElseThrow().usage(), "memory.current");
    assertTrue(stats.cpu().orElseThrow().perCpuNanos().isEmpty(), "v2 does not split usage per CPU");
    assertEquals(model.reader().read("/kubepods/pod1/ctr1"), new CgroupV2Reader(fixture, SIZES).read("/kubepods/pod1/ctr1"));
  }
}
