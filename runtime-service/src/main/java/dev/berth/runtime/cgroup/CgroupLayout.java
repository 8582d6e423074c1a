package dev.berth.runtime.cgroup;

import dev.berth.linux.MountTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which cgroup hierarchies this node mounts (v1 controllers, the v2 mount, or both) and so which
 * reader fits, read once from /proc/self/mountinfo.
 */
public final class CgroupLayout {

  private static final Logger log = LoggerFactory.getLogger(CgroupLayout.class);
  private static final Set<String> READ_CONTROLLERS = Set.of("cpu", "cpuacct", "memory", "blkio", "pids", "hugetlb");

  private final Map<String, Path> v1Controllers;
  private final Path unifiedRoot;
  private final List<String> pageSizes;

  CgroupLayout(Map<String, Path> v1Controllers, Path unifiedRoot, List<String> pageSizes) {
    this.v1Controllers = Map.copyOf(v1Controllers);
    this.unifiedRoot = unifiedRoot;
    this.pageSizes = List.copyOf(pageSizes);
  }

  public static CgroupLayout detect() throws IOException {
    Map<String, Path> controllers = new HashMap<>();
    Path unified = null;
    for (MountTable.Mount mount : MountTable.mounts()) {
      Path mountPoint = mount.mountPoint();
      if (mount.fsType().equals("cgroup2")) {
        unified = mountPoint;
      } else if (mount.fsType().equals("cgroup")) {
        for (String option : mount.superOptionList()) {
          if (READ_CONTROLLERS.contains(option)) {
            controllers.putIfAbsent(option, mountPoint);
          }
        }
      }
    }
    CgroupLayout layout = new CgroupLayout(controllers, unified, HugetlbFiles.pageSizes(Path.of("/sys/kernel/mm/hugepages")));
    log.debug("cgroup layout: {}", layout);
    return layout;
  }

  /** v1 when any v1 controller we read is mounted (hybrid included), v2 otherwise. */
  public CgroupReader reader() {
    if (!v1Controllers.isEmpty()) {
      return new CgroupV1Reader(v1Controllers, unifiedHasHugetlb() ? unifiedRoot : null, pageSizes);
    }
    if (unifiedRoot == null) {
      throw new IllegalStateException("no cgroup hierarchy is mounted");
    }
    return new CgroupV2Reader(unifiedRoot, pageSizes);
  }

  /** Hybrid: v1 controllers, and hugetlb available only on the v2 mount. */
  public boolean hugetlbOnUnified() {
    return !v1Controllers.isEmpty() && !v1Controllers.containsKey("hugetlb") && unifiedHasHugetlb();
  }

  public Path unifiedRoot() {
    return unifiedRoot;
  }

  private boolean unifiedHasHugetlb() {
    if (unifiedRoot == null) {
      return false;
    }
    try {
      return List.of(CgroupFiles.read(unifiedRoot.resolve("cgroup.controllers")).trim().split(" ")).contains("hugetlb");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "v1 " + v1Controllers + ", v2 " + unifiedRoot + ", huge page sizes " + pageSizes;
  }
}
