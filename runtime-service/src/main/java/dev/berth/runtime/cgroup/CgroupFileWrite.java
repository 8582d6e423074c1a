package dev.berth.runtime.cgroup;

/**
 * One value to write into one file of a cgroup: the result of translating {@link CgroupLimits}
 * for a hierarchy version, before anything touches the node.
 *
 * @param controller whose hierarchy holds the file ("cpu", "memory", "cpuset", "pids", "hugetlb"),
 *     or {@link #UNIFIED} for a key of the CRI's unified map
 * @param optional a file the kernel may lack without harm (swap accounting off), skipped then
 */
public record CgroupFileWrite(String controller, String file, String value, boolean optional) {

  public static final String UNIFIED = "unified";

  static CgroupFileWrite of(String controller, String file, String value) {
    return new CgroupFileWrite(controller, file, value, false);
  }

  static CgroupFileWrite of(String controller, String file, long value) {
    return new CgroupFileWrite(controller, file, Long.toString(value), false);
  }
}
