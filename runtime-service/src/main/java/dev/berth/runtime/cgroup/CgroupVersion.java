package dev.berth.runtime.cgroup;

/** How a node mounts its cgroups, as the kubelet and runc tell them apart. */
public enum CgroupVersion {
  /** One hierarchy per v1 controller, no cgroup2 mount. */
  V1,
  /** v1 controllers, plus a cgroup2 mount (often /sys/fs/cgroup/unified) holding what no v1 hierarchy has. */
  HYBRID,
  /** The unified hierarchy alone: every controller's files in one directory per cgroup. */
  V2
}
