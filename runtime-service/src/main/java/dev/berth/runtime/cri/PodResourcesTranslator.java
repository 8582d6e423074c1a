package dev.berth.runtime.cri;

import dev.berth.cri.v1.HugepageLimit;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.runtime.cgroup.CgroupLimits;
import dev.berth.runtime.container.LinuxResources;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.Printable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * UpdatePodSandboxResources' resources as the limits of the pod cgroup. Checked here, at the
 * edge, so that nothing the kubelet sends reaches a cgroup file it was not meant for.
 */
final class PodResourcesTranslator {

  /** The kernel's cpu list format: "0-3,8,10-11". */
  private static final Pattern CPU_LIST = Pattern.compile("[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*");

  private PodResourcesTranslator() {}

  static CgroupLimits limits(LinuxContainerResources r) {
    // The same checks as a container's resources (negative values, oom_score_adj).
    LinuxResources checked = ContainerTranslator.resources(r);
    cpuList("cpuset_cpus", checked.cpusetCpus());
    cpuList("cpuset_mems", checked.cpusetMems());
    Map<String, Long> hugepages = new LinkedHashMap<>();
    for (HugepageLimit limit : r.getHugepageLimitsList()) {
      if (!CgroupLimits.isPageSizeName(limit.getPageSize())) {
        throw new CriException.InvalidArgument("resources.hugepage_limits page_size "
            + Printable.quote(limit.getPageSize()) + " is not a page size like 2MB or 1GB");
      }
      if (hugepages.put(limit.getPageSize(), limit.getLimit()) != null) {
        throw new CriException.InvalidArgument("resources.hugepage_limits names page_size " + limit.getPageSize()
            + " twice");
      }
    }
    for (Map.Entry<String, String> entry : r.getUnifiedMap().entrySet()) {
      if (!CgroupLimits.isUnifiedFileName(entry.getKey())) {
        throw new CriException.InvalidArgument("resources.unified key " + Printable.quote(entry.getKey())
            + " is not a cgroup v2 controller file (like memory.high; cgroup.* files are refused)");
      }
      if (Printable.firstControl(entry.getValue()) >= 0) {
        throw new CriException.InvalidArgument("resources.unified value of " + entry.getKey()
            + " holds a control character");
      }
    }
    return new CgroupLimits(checked.cpuShares(), checked.cpuQuota(), checked.cpuPeriod(), checked.memoryLimitBytes(),
        checked.memorySwapLimitBytes(), checked.cpusetCpus(), checked.cpusetMems(), 0, hugepages, r.getUnifiedMap());
  }

  private static void cpuList(String field, String value) {
    if (!value.isEmpty() && !CPU_LIST.matcher(value).matches()) {
      throw new CriException.InvalidArgument("resources." + field + " " + Printable.quote(value)
          + " is not a list like 0-3,8");
    }
  }
}
