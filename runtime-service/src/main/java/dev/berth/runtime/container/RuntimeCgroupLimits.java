package dev.berth.runtime.container;

import dev.berth.runtime.cgroup.CgroupLimits;
import dev.berth.runtime.cgroup.CgroupModel;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A container's limits split between the OCI runtime and the cgroup model: runc applies them at
 * create and update, except what it cannot reach on this node (hugetlb on the v2 mount of a
 * hybrid node), which the model writes into the container's cgroup once runc has made it.
 */
final class RuntimeCgroupLimits {

  private final CgroupModel cgroups;

  RuntimeCgroupLimits(CgroupModel cgroups) {
    this.cgroups = cgroups;
  }

  /** What goes into config.json and {@code runc update}. */
  LinuxResources forRuntime(LinuxResources resources) {
    return holdsBack(resources) ? resources.withoutHugepageLimits() : resources;
  }

  /** Whether some of {@code resources} are the model's to write rather than the runtime's. */
  boolean holdsBack(LinuxResources resources) {
    return cgroups.hugetlbOutsideRuntime() && !resources.hugepageLimits().isEmpty();
  }

  /** Writes what {@link #forRuntime} held back into the container's cgroup, which runc has made by now. */
  void applyHeldBack(String cgroupPath, LinuxResources resources) throws IOException {
    if (!holdsBack(resources)) {
      return;
    }
    Map<String, Long> hugepages = resources.hugepageLimits().stream()
        .collect(Collectors.toMap(LinuxResources.HugepageLimit::pageSize, LinuxResources.HugepageLimit::limitBytes,
            (first, second) -> second));
    cgroups.apply(cgroupPath, new CgroupLimits(0, 0, 0, 0, 0, "", "", 0, hugepages, Map.of()));
  }
}
