package dev.berth.runtime.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Detection from mountinfo as three kinds of node write it: this machine (hybrid: v1 controllers
 * and a cgroup2 mount at /sys/fs/cgroup/unified), a systemd v1 node with co-mounted cpu,cpuacct,
 * and a v2 node (Debian 12's default).
 */
class CgroupMountsTest {

  static String mountinfo(String name) throws Exception {
    return Files.readString(Path.of(CgroupMountsTest.class.getResource("/cgroup-fixtures/mountinfo/" + name).toURI()));
  }

  @Test
  void hybridNodeHasV1ControllersAndTheUnifiedMountBesideThem() throws Exception {
    CgroupMounts mounts = CgroupMounts.parse(mountinfo("hybrid"));
    assertEquals(CgroupVersion.HYBRID, mounts.version());
    assertEquals(Path.of("/sys/fs/cgroup/unified"), mounts.unifiedRoot());
    assertEquals(Map.of("cpu", Path.of("/sys/fs/cgroup/cpu"), "cpuacct", Path.of("/sys/fs/cgroup/cpuacct"),
        "cpuset", Path.of("/sys/fs/cgroup/cpuset"), "memory", Path.of("/sys/fs/cgroup/memory"),
        "blkio", Path.of("/sys/fs/cgroup/blkio"), "pids", Path.of("/sys/fs/cgroup/pids"),
        "devices", Path.of("/sys/fs/cgroup/devices")), mounts.v1Controllers());
    // Every hierarchy runc places a process in, devices, freezer and name=systemd included; not the tmpfs.
    assertEquals(List.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd",
        "unified"), mounts.hierarchyRoots().stream().map(p -> p.getFileName().toString()).toList());
  }

  @Test
  void v1NodeWithCoMountedControllersMapsEachToItsHierarchy() throws Exception {
    CgroupMounts mounts = CgroupMounts.parse(mountinfo("v1"));
    assertEquals(CgroupVersion.V1, mounts.version());
    assertNull(mounts.unifiedRoot());
    assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct"), mounts.v1Controllers().get("cpu"));
    assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct"), mounts.v1Controllers().get("cpuacct"));
    assertEquals(Path.of("/sys/fs/cgroup/hugetlb"), mounts.v1Controllers().get("hugetlb"));
    assertEquals(9, mounts.hierarchyRoots().size(), "cpu,cpuacct is one hierarchy: " + mounts.hierarchyRoots());
  }

  @Test
  void v2NodeHasOneRootAndNoV1Controller() throws Exception {
    CgroupMounts mounts = CgroupMounts.parse(mountinfo("v2"));
    assertEquals(CgroupVersion.V2, mounts.version());
    assertEquals(Path.of("/sys/fs/cgroup"), mounts.unifiedRoot());
    assertEquals(Map.of(), mounts.v1Controllers());
    assertEquals(List.of(Path.of("/sys/fs/cgroup")), mounts.hierarchyRoots());
  }

  @Test
  void aMountPointWithASpaceIsUnescaped() {
    CgroupMounts mounts = CgroupMounts.parse("26 23 0:24 / /tmp/my\\040cgroups rw - cgroup2 cgroup2 rw\n");
    assertEquals(Path.of("/tmp/my cgroups"), mounts.unifiedRoot());
  }

  @Test
  void aNodeWithoutCgroupsIsRefusedByName() {
    CgroupMounts mounts = CgroupMounts.parse("22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n");
    assertEquals("no cgroup hierarchy is mounted",
        assertThrows(IllegalStateException.class, mounts::version).getMessage());
  }

  @Test
  void theModelFollowsTheDetectedVersion() throws Exception {
    assertEquals(CgroupVersion.V2, CgroupModel.of(CgroupMounts.parse(mountinfo("v2")), List.of()).version());
    assertEquals(CgroupVersion.V1, CgroupModel.of(CgroupMounts.parse(mountinfo("v1")), List.of()).version());
    assertEquals(CgroupVersion.HYBRID, CgroupModel.of(CgroupMounts.parse(mountinfo("hybrid")), List.of()).version());
  }
}
