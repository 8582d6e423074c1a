package dev.berth.runtime.cgroup;

import dev.berth.linux.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cgroup hierarchies a node mounts, parsed from mountinfo: the root of each v1 controller
 * Berth reads or writes, the cgroup2 mount, and every cgroup root (named v1 hierarchies such as
 * name=systemd included, since runc places a process in each of them).
 *
 * @param v1Controllers hierarchy root per v1 controller ("cpu", "cpuacct", "cpuset", "memory", "devices",
 *     "blkio", "pids", "hugetlb"); empty on a v2 node
 * @param unifiedRoot the cgroup2 mount, or null when there is none (a pure v1 node)
 * @param hierarchyRoots every cgroup and cgroup2 mount point, each once, in mountinfo order
 */
public record CgroupMounts(Map<String, Path> v1Controllers, Path unifiedRoot, List<Path> hierarchyRoots) {

  private static final Set<String> CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "blkio", "pids",
      "hugetlb", "devices");

  public CgroupMounts {
    v1Controllers = Map.copyOf(v1Controllers);
    hierarchyRoots = List.copyOf(hierarchyRoots);
  }

  /** This process's view: /proc/self/mountinfo. */
  public static CgroupMounts ofThisProcess() throws IOException {
    return parse(Files.readString(Path.of("/proc/self/mountinfo")));
  }

  /** Parses the text of a mountinfo file (proc(5)); lines of other file systems are skipped. */
  public static CgroupMounts parse(String mountinfo) {
    Map<String, Path> controllers = new HashMap<>();
    Path unified = null;
    List<Path> roots = new ArrayList<>();
    for (MountTable.Mount mount : MountTable.parse(List.of(mountinfo.split("\n")))) {
      boolean v2 = mount.fsType().equals("cgroup2");
      if (!v2 && !mount.fsType().equals("cgroup")) {
        continue;
      }
      Path mountPoint = mount.mountPoint();
      if (!roots.contains(mountPoint)) {
        roots.add(mountPoint);
      }
      if (v2) {
        if (unified == null) {
          unified = mountPoint;
        }
      } else {
        for (String option : mount.superOptionList()) {
          if (CONTROLLERS.contains(option)) {
            controllers.putIfAbsent(option, mountPoint);
          }
        }
      }
    }
    return new CgroupMounts(controllers, unified, roots);
  }

  /** v1 when only v1 controllers are mounted, hybrid when a cgroup2 mount sits beside them, v2 when it is alone. */
  public CgroupVersion version() {
    if (v1Controllers.isEmpty()) {
      if (unifiedRoot == null) {
        throw new IllegalStateException("no cgroup hierarchy is mounted");
      }
      return CgroupVersion.V2;
    }
    return unifiedRoot == null ? CgroupVersion.V1 : CgroupVersion.HYBRID;
  }
}
