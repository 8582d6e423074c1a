package dev.berth.runtime.sandbox;

import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciDefaults;
import dev.berth.runtime.oci.OciResources;
import dev.berth.runtime.oci.OciSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * The OCI spec of a pod's infra process: catatonit in pause mode on the built-in read-only rootfs,
 * holding the pod's new namespaces, with the pod's sysctls. A pure function of the pod's request
 * and the paths the sandbox manager chose.
 */
public final class InfraOciSpec {

  private InfraOciSpec() {}

  /**
   * @param hostname the pod's hostname; set only when the pod has a UTS namespace of its own
   * @param netnsPath the pinned network namespace the infra joins
   * @param infraRootfs the built-in rootfs, or its idmapped copy in a pod with its own user namespace
   * @param userNamespacePath the pod's pinned user namespace, which the infra joins and owns its
   *     new namespaces by; {@code NamespacePlan.HOST} for a pod in the node's
   */
  public static OciSpec of(SandboxSpec spec, Path infraRootfs, String hostname, String netnsPath, String cgroupsPath,
      int oomScoreAdj, String userNamespacePath) {
    NamespacePlan plan = new NamespacePlan(
        spec.hostNetwork() ? NamespacePlan.HOST : netnsPath,
        spec.hostPid() ? NamespacePlan.HOST : NamespacePlan.NEW,
        spec.hostIpc() ? NamespacePlan.HOST : NamespacePlan.NEW,
        spec.hostNetwork() ? NamespacePlan.HOST : NamespacePlan.NEW,
        spec.ownUserNamespace() ? userNamespacePath : NamespacePlan.HOST);
    // -P: pause mode; as pid 1 of a shared pod pid namespace it also reaps zombies.
    OciSpec.Process process = new OciSpec.Process(false, OciDefaults.ROOT, List.of(InfraRootfs.INIT, "-P"),
        List.of("PATH=/"), "/", OciSpec.Capabilities.of(OciDefaults.CAPABILITIES), false, oomScoreAdj);
    OciSpec.Linux linux = new OciSpec.Linux(spec.sysctls().isEmpty() ? null : spec.sysctls(),
        new OciResources(List.of(OciResources.DeviceRule.all(false)), null, null, null, null), cgroupsPath,
        plan.namespaces(), null, null, null, OciDefaults.MASKED_PATHS, OciDefaults.READONLY_PATHS,
        spec.ownUserNamespace() ? OciSpec.IdMapping.of(spec.userNamespace().uids()) : null,
        spec.ownUserNamespace() ? OciSpec.IdMapping.of(spec.userNamespace().gids()) : null);
    return new OciSpec(OciSpec.VERSION, process, new OciSpec.Root(infraRootfs.toString(), true),
        !spec.hostNetwork() && !spec.hostname().isEmpty() ? hostname : null, OciDefaults.standardMounts(false), linux);
  }
}
