package dev.berth.runtime.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The OCI {@code linux.resources}: in config.json at create and, on its own, the input of
 * {@code runc update -r -} when the kubelet changes a container's limits. Null parts are left out.
 *
 * @param devices the device cgroup's rules, in order; null in an update (runc keeps the rules)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OciResources(List<DeviceRule> devices, Memory memory, Cpu cpu, Pids pids,
    List<HugepageLimit> hugepageLimits) {

  public OciResources withDevices(List<DeviceRule> rules) {
    return new OciResources(rules, memory, cpu, pids, hugepageLimits);
  }

  /** @param type null for every type; major and minor null for every number */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {

    /** Every device, as a first deny-all or a privileged allow-all. */
    public static DeviceRule all(boolean allow) {
      return new DeviceRule(allow, null, null, null, "rwm");
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Memory(Long limit, Long swap) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cpu(Long shares, Long quota, Long period, String cpus, String mems) {}

  public record Pids(long limit) {}

  public record HugepageLimit(String pageSize, long limit) {}
}
