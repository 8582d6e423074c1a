package dev.berth.runtime.cgroup;

import dev.berth.linux.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a cgroupfs path lives in each mounted hierarchy (v1 controllers and the v2 mount), read
 * once from /proc/self/mountinfo, and removal of a pod's cgroup directories in all of them.
 */
public final class CgroupPaths {

  private final List<Path> hierarchyRoots;

  private CgroupPaths(List<Path> hierarchyRoots) {
    this.hierarchyRoots = List.copyOf(hierarchyRoots);
  }

  public static CgroupPaths fromMountinfo() throws IOException {
    Set<Path> roots = new LinkedHashSet<>();
    for (MountTable.Mount mount : MountTable.mounts()) {
      if (mount.fsType().equals("cgroup") || mount.fsType().equals("cgroup2")) {
        roots.add(mount.mountPoint());
      }
    }
    return new CgroupPaths(new ArrayList<>(roots));
  }

  public List<Path> hierarchyRoots() {
    return hierarchyRoots;
  }

  /**
   * Creates {@code cgroupPath} (e.g. "/berth/podX") in every hierarchy, as runc does for the
   * cgroups it places a process in; for a pod cgroup made before any process runs in it.
   */
  public void create(String cgroupPath) throws IOException {
    String relative = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    if (relative.isEmpty() || relative.contains("..")) {
      throw new IllegalArgumentException("refusing to create cgroup '" + cgroupPath + "'");
    }
    for (Path root : hierarchyRoots) {
      Files.createDirectories(root.resolve(relative));
    }
  }

  /**
   * Removes {@code cgroupPath} (e.g. "/berth/podX") and its empty children from every hierarchy.
   * A cgroup that still holds processes stays, and the first such failure is reported.
   */
  public void remove(String cgroupPath) throws IOException {
    String relative = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    if (relative.isEmpty() || relative.contains("..")) {
      throw new IllegalArgumentException("refusing to remove cgroup '" + cgroupPath + "'");
    }
    IOException first = null;
    for (Path root : hierarchyRoots) {
      Path dir = root.resolve(relative);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (var walk = Files.walk(dir)) {
        // cgroupfs directories are removed with rmdir, children first; their files go with them.
        for (Path sub : walk.filter(Files::isDirectory).sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
          Files.deleteIfExists(sub);
        }
      } catch (IOException e) {
        if (first == null) {
          first = new IOException("cannot remove cgroup " + dir + ": " + e.getMessage(), e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
