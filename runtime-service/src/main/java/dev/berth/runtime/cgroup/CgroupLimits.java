package dev.berth.runtime.cgroup;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Limits to write into a cgroup, in the CRI's terms (LinuxContainerResources): what
 * UpdatePodSandboxResources asks of a pod cgroup. 0 or empty means "leave as is", as in the CRI
 * message; each {@link CgroupModel} translates the rest to its hierarchy's files.
 *
 * @param cpuQuota CFS quota in microseconds per period; negative for none
 * @param memorySwapLimitBytes memory plus swap, as v1's memsw counts it (v2 gets the difference)
 * @param pidsLimit pids.max; negative for no limit
 * @param hugepageLimits bytes per page size as the kernel names it ("2MB", "1GB")
 * @param unified v2 file name to value, written as given (the CRI's {@code unified} map)
 */
public record CgroupLimits(long cpuShares, long cpuQuota, long cpuPeriod, long memoryLimitBytes,
    long memorySwapLimitBytes, String cpusetCpus, String cpusetMems, long pidsLimit, Map<String, Long> hugepageLimits,
    Map<String, String> unified) {

  /**
   * A controller's interface file ("memory.high", "cpu.weight.nice"): the core's cgroup.* files
   * are not limits, and cgroup.procs or cgroup.subtree_control would move processes or change the
   * tree, so the unified map may not name them; nor may it leave the cgroup's directory.
   */
  private static final Pattern UNIFIED_FILE = Pattern.compile("(?!cgroup\\.)[a-z][a-z0-9_]*\\.[A-Za-z0-9_.]+");
  private static final Pattern PAGE_SIZE = Pattern.compile("[1-9][0-9]*(KB|MB|GB)");

  public static final CgroupLimits NONE = new CgroupLimits(0, 0, 0, 0, 0, "", "", 0, Map.of(), Map.of());

  public CgroupLimits {
    cpusetCpus = cpusetCpus == null ? "" : cpusetCpus;
    cpusetMems = cpusetMems == null ? "" : cpusetMems;
    // Sorted: the files are written in a stable order, so a failure is the same one every time.
    hugepageLimits = Collections.unmodifiableMap(new TreeMap<>(hugepageLimits == null ? Map.of() : hugepageLimits));
    unified = Collections.unmodifiableMap(new TreeMap<>(unified == null ? Map.of() : unified));
  }

  /** Whether {@code key} may be written as a file of the unified map (see {@link #UNIFIED_FILE}). */
  public static boolean isUnifiedFileName(String key) {
    return UNIFIED_FILE.matcher(key).matches();
  }

  /** Whether {@code size} is a page size named as the kernel names them in hugetlb files ("2MB"). */
  public static boolean isPageSizeName(String size) {
    return PAGE_SIZE.matcher(size).matches();
  }
}
