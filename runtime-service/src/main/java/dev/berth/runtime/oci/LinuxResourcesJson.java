package dev.berth.runtime.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.container.LinuxResources;

/**
 * Container resources in the OCI "linux.resources" form: used in config.json at create and,
 * on its own, for {@code runc update -r -} when the kubelet changes them live.
 */
public final class LinuxResourcesJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private LinuxResourcesJson() {}

  public static ObjectNode of(LinuxResources resources) {
    ObjectNode node = JSON.createObjectNode();
    fill(node, resources);
    return node;
  }

  static void fill(ObjectNode node, LinuxResources resources) {
    ObjectNode cpu = JSON.createObjectNode();
    if (resources.cpuShares() > 0) {
      cpu.put("shares", resources.cpuShares());
    }
    if (resources.cpuQuota() != 0) {
      cpu.put("quota", resources.cpuQuota());
    }
    if (resources.cpuPeriod() > 0) {
      cpu.put("period", resources.cpuPeriod());
    }
    if (!resources.cpusetCpus().isEmpty()) {
      cpu.put("cpus", resources.cpusetCpus());
    }
    if (!resources.cpusetMems().isEmpty()) {
      cpu.put("mems", resources.cpusetMems());
    }
    if (!cpu.isEmpty()) {
      node.set("cpu", cpu);
    }
    if (resources.memoryLimitBytes() > 0) {
      ObjectNode memory = node.putObject("memory");
      memory.put("limit", resources.memoryLimitBytes());
      if (resources.memorySwapLimitBytes() > 0) {
        memory.put("swap", resources.memorySwapLimitBytes());
      }
    }
    if (!resources.hugepageLimits().isEmpty()) {
      var limits = node.putArray("hugepageLimits");
      resources.hugepageLimits().forEach(h -> limits.addObject().put("pageSize", h.pageSize()).put("limit", h.limitBytes()));
    }
  }
}
