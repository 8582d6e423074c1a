package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** cgroup v2: one hierarchy, every controller's files in one directory per cgroup. */
public final class V2CgroupModel implements CgroupModel {

  /** The controllers the kubelet and runc use for pods (io is v1's blkio); rdma and misc are left alone. */
  private static final Set<String> POD_CONTROLLERS = Set.of("cpu", "cpuset", "io", "memory", "pids", "hugetlb");

  private final Path root;
  private final List<String> pageSizes;
  private final CgroupReader reader;

  V2CgroupModel(Path root, List<String> pageSizes) {
    this.root = root;
    this.pageSizes = List.copyOf(pageSizes);
    this.reader = new CgroupV2Reader(root, pageSizes);
  }

  @Override
  public CgroupVersion version() {
    return CgroupVersion.V2;
  }

  @Override
  public CgroupReader reader() {
    return reader;
  }

  @Override
  public List<Path> hierarchyRoots() {
    return List.of(root);
  }

  @Override
  public List<String> pageSizes() {
    return pageSizes;
  }

  @Override
  public boolean hugetlbOutsideRuntime() {
    return false;
  }

  @Override
  public Optional<Path> directory(String controller, String cgroupPath) {
    return Optional.of(root.resolve(CgroupReader.relative(cgroupPath)));
  }

  @Override
  public void create(String cgroupPath) throws IOException {
    CgroupDirectories.create(List.of(root), cgroupPath);
    // Its own limit files (memory.max, cpu.max) exist only with the controllers enabled above it;
    // a pod cgroup holds no process of its own, so its children may have them too.
    CgroupDirectories.enableBelow(root, cgroupPath, POD_CONTROLLERS);
  }

  @Override
  public void place(long pid, String cgroupPath) throws IOException {
    CgroupDirectories.place(List.of(root), cgroupPath, pid);
  }

  @Override
  public void denyAllDevices(String cgroupPath) {
    throw new UnsupportedOperationException("a v2 node's device rules are eBPF programs its runtime attaches");
  }

  @Override
  public void remove(String cgroupPath) throws IOException {
    CgroupDirectories.remove(List.of(root), cgroupPath);
  }

  @Override
  public void enableControllersBelow(String podCgroup) {
    CgroupDirectories.enableBelow(root, podCgroup, POD_CONTROLLERS);
  }

  @Override
  public void apply(String cgroupPath, CgroupLimits limits) throws IOException {
    Path dir = root.resolve(CgroupDirectories.owned(cgroupPath));
    List<CgroupFileWrite> writes = V2LimitFiles.writes(limits, pageSizes, () -> {
      String current = CgroupDirectories.readIfPresent(dir.resolve("cpu.max"));
      return current == null ? "max" : current;
    });
    CgroupDirectories.write(writes, controller -> dir);
  }

  @Override
  public String toString() {
    return "V2 at " + root + ", huge page sizes " + pageSizes;
  }
}
