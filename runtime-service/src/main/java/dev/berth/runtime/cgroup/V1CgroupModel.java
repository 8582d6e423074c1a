package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * cgroup v1, one hierarchy per controller; on a hybrid node also the v2 mount, which Berth uses
 * for hugetlb when no v1 hugetlb hierarchy exists (as on these machines) and for the unified map.
 */
public final class V1CgroupModel implements CgroupModel {

  private final Map<String, Path> controllers;
  private final Path unifiedRoot;
  private final List<Path> hierarchyRoots;
  private final List<String> pageSizes;
  private final boolean hugetlbOnUnified;
  private final CgroupReader reader;

  V1CgroupModel(CgroupMounts mounts, List<String> pageSizes) {
    this.controllers = mounts.v1Controllers();
    this.unifiedRoot = mounts.unifiedRoot();
    this.hierarchyRoots = mounts.hierarchyRoots();
    this.pageSizes = List.copyOf(pageSizes);
    this.hugetlbOnUnified = !controllers.containsKey("hugetlb") && unifiedOffers("hugetlb");
    this.reader = new CgroupV1Reader(controllers, hugetlbOnUnified ? unifiedRoot : null, pageSizes);
  }

  @Override
  public CgroupVersion version() {
    return unifiedRoot == null ? CgroupVersion.V1 : CgroupVersion.HYBRID;
  }

  @Override
  public CgroupReader reader() {
    return reader;
  }

  @Override
  public List<Path> hierarchyRoots() {
    return hierarchyRoots;
  }

  @Override
  public List<String> pageSizes() {
    return pageSizes;
  }

  /** Hybrid: v1 controllers, and hugetlb available only on the v2 mount. */
  public boolean hugetlbOnUnified() {
    return hugetlbOnUnified;
  }

  @Override
  public boolean hugetlbOutsideRuntime() {
    return hugetlbOnUnified;
  }

  @Override
  public Optional<Path> directory(String controller, String cgroupPath) {
    return Optional.ofNullable(root(controller)).map(root -> root.resolve(CgroupReader.relative(cgroupPath)));
  }

  private Path root(String controller) {
    if (controller.equals(CgroupFileWrite.UNIFIED)) {
      return unifiedRoot;
    }
    if (controller.equals("hugetlb") && hugetlbOnUnified) {
      return unifiedRoot;
    }
    return controllers.get(controller);
  }

  @Override
  public void create(String cgroupPath) throws IOException {
    CgroupDirectories.create(hierarchyRoots, cgroupPath);
  }

  @Override
  public void place(long pid, String cgroupPath) throws IOException {
    Path cpuset = controllers.get("cpuset");
    if (cpuset != null) {
      CgroupDirectories.inheritCpuset(cpuset, cgroupPath);
    }
    CgroupDirectories.place(hierarchyRoots, cgroupPath, pid);
  }

  @Override
  public void denyAllDevices(String cgroupPath) throws IOException {
    Path devices = controllers.get("devices");
    if (devices == null) {
      throw new UnsupportedOperationException("no v1 devices hierarchy is mounted");
    }
    CgroupDirectories.write(List.of(CgroupFileWrite.of("devices", "devices.deny", "a")),
        controller -> devices.resolve(CgroupDirectories.owned(cgroupPath)));
  }

  @Override
  public void remove(String cgroupPath) throws IOException {
    CgroupDirectories.remove(hierarchyRoots, cgroupPath);
  }

  @Override
  public void enableControllersBelow(String podCgroup) {
    // runc places each container in the v2 hierarchy too, but a v2 cgroup has hugetlb files only
    // when its parent lists hugetlb in cgroup.subtree_control.
    if (hugetlbOnUnified) {
      CgroupDirectories.enableBelow(unifiedRoot, podCgroup, Set.of("hugetlb"));
    }
  }

  @Override
  public void apply(String cgroupPath, CgroupLimits limits) throws IOException {
    String relative = CgroupDirectories.owned(cgroupPath);
    List<CgroupFileWrite> writes = V1LimitFiles.writes(limits, pageSizes, hugetlbOnUnified, unifiedRoot != null, () -> {
      Path memory = controllers.get("memory");
      String current = memory == null ? null
          : CgroupDirectories.readIfPresent(memory.resolve(relative).resolve("memory.memsw.limit_in_bytes"));
      return current == null ? Long.MAX_VALUE : Long.parseLong(current.trim());
    });
    CgroupDirectories.write(writes, controller -> {
      Path root = root(controller);
      return root == null ? null : root.resolve(relative);
    });
  }

  private boolean unifiedOffers(String controller) {
    if (unifiedRoot == null) {
      return false;
    }
    String offered = CgroupDirectories.readIfPresent(unifiedRoot.resolve("cgroup.controllers"));
    return offered != null && List.of(offered.trim().split(" ")).contains(controller);
  }

  @Override
  public String toString() {
    return version() + ": v1 " + controllers + ", v2 " + unifiedRoot + (hugetlbOnUnified ? " (hugetlb)" : "")
        + ", huge page sizes " + pageSizes;
  }
}
