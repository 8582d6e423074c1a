package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In the hybrid layout runc places each container in the v2 hierarchy too, but a v2 cgroup has
 * hugetlb files only when its parent lists hugetlb in cgroup.subtree_control. Writing
 * "+hugetlb" down the path from the v2 root to a pod cgroup gives the pod's containers those
 * files. A parent with processes of its own may not enable controllers (the v2 "no internal
 * processes" rule); pod cgroups and their ancestors have none, which is why we stop at the pod.
 */
public final class HugetlbDelegation {

  private static final Logger log = LoggerFactory.getLogger(HugetlbDelegation.class);

  private final Path unifiedRoot;

  private HugetlbDelegation(Path unifiedRoot) {
    this.unifiedRoot = unifiedRoot;
  }

  /** A delegation for the hybrid layout, or one that does nothing elsewhere. */
  public static HugetlbDelegation forLayout(CgroupLayout layout) {
    return new HugetlbDelegation(layout.hugetlbOnUnified() ? layout.unifiedRoot() : null);
  }

  /** Enables hugetlb for the children of {@code podCgroup}; best effort, stats only. */
  public void enableBelow(String podCgroup) {
    if (unifiedRoot == null) {
      return;
    }
    Path dir = unifiedRoot;
    try {
      for (String part : CgroupReader.relative(podCgroup).split("/")) {
        enable(dir);
        dir = dir.resolve(part);
        if (!Files.isDirectory(dir)) {
          return; // runc did not place this pod in the v2 hierarchy
        }
      }
      enable(dir);
    } catch (IOException e) {
      log.warn("cannot enable hugetlb below {} ({}): hugetlb stats of its containers stay empty", dir, e.getMessage());
    }
  }

  private static void enable(Path dir) throws IOException {
    Path control = dir.resolve("cgroup.subtree_control");
    if (!CgroupFiles.read(control).contains("hugetlb")) {
      Files.writeString(control, "+hugetlb");
    }
  }
}
