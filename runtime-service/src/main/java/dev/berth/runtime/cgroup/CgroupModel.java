package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The node's cgroups behind one interface, chosen once at start from mountinfo: {@link V1CgroupModel}
 * for v1 and hybrid nodes (v1 controllers, plus the v2 mount for what lives only there),
 * {@link V2CgroupModel} for the unified hierarchy. Everything Berth does with cgroups goes through
 * it: pod cgroups made and removed, limits written, stats read, where a controller's files are.
 * Cgroup paths are cgroupfs paths as runc is given them ("/kubepods/podX"); none may leave its root.
 */
public sealed interface CgroupModel permits V1CgroupModel, V2CgroupModel {

  /** The model of this node: its mountinfo and its huge page sizes. */
  static CgroupModel detect() throws IOException {
    return of(CgroupMounts.ofThisProcess(), HugetlbFiles.pageSizes(Path.of("/sys/kernel/mm/hugepages")));
  }

  /** The model for these mounts (a test's tree in a temp directory, or the node's). */
  static CgroupModel of(CgroupMounts mounts, List<String> pageSizes) {
    return switch (mounts.version()) {
      case V2 -> new V2CgroupModel(mounts.unifiedRoot(), pageSizes);
      case V1, HYBRID -> new V1CgroupModel(mounts, pageSizes);
    };
  }

  CgroupVersion version();

  /** The reader of this node's stats files. */
  CgroupReader reader();

  /** Every hierarchy a process is placed in (each v1 one, or the one v2 root): where leftovers are looked for. */
  List<Path> hierarchyRoots();

  /** Huge page sizes as the kernel names them ("2MB", "1GB"). */
  List<String> pageSizes();

  /**
   * The directory of {@code cgroupPath} that holds {@code controller}'s files ("memory", "cpu",
   * "pids", "hugetlb", ...), or empty when no mounted hierarchy has that controller. It may not
   * exist yet.
   */
  Optional<Path> directory(String controller, String cgroupPath);

  /**
   * Creates {@code cgroupPath} in every hierarchy, as runc does for a cgroup it places a process
   * in; for a pod cgroup made before any process runs in it.
   */
  void create(String cgroupPath) throws IOException;

  /**
   * Moves process {@code pid} (all its threads) into {@code cgroupPath} in every hierarchy, made
   * first by {@link #create}: for a process started elsewhere that becomes part of a pod.
   */
  void place(long pid, String cgroupPath) throws IOException;

  /**
   * Denies every device to the processes of {@code cgroupPath}, as the runtime's deny-all device
   * rule does: on v1 and hybrid nodes, whose devices controller is a file. On v2 such a rule is an
   * eBPF program the runtime attaches to the cgroup it made.
   *
   * @throws UnsupportedOperationException on a v2 node, or a v1 node without the devices hierarchy
   */
  void denyAllDevices(String cgroupPath) throws IOException;

  /**
   * Removes {@code cgroupPath} and its empty children from every hierarchy. A cgroup that still
   * holds processes stays, and the first such failure is reported.
   */
  void remove(String cgroupPath) throws IOException;

  /**
   * Lets the children of a pod cgroup have the controllers Berth reads and limits (v2 enables a
   * controller for a cgroup only when its parent lists it in cgroup.subtree_control; on a hybrid
   * node that is hugetlb, on v2 all of them). Best effort: what cannot be enabled is logged and its
   * stats stay empty.
   */
  void enableControllersBelow(String podCgroup);

  /**
   * Whether hugetlb limits are Berth's to write rather than the OCI runtime's: on a hybrid node
   * whose hugetlb controller lives only on the v2 mount, runc's v1 manager finds no hugetlb
   * hierarchy and refuses a container that has such limits ("cannot set hugetlb limit").
   */
  boolean hugetlbOutsideRuntime();

  /**
   * Writes {@code limits} into the cgroup's files.
   *
   * @throws IllegalArgumentException limits this node cannot express (a page size it lacks, swap without memory)
   * @throws UnsupportedOperationException a controller this node does not mount, or the unified
   *     map on a node without a v2 hierarchy
   * @throws IOException a file missing or refused by the kernel, named in the message
   */
  void apply(String cgroupPath, CgroupLimits limits) throws IOException;
}
