package dev.berth.runtime.sandbox;

import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciDefaults;
import dev.berth.runtime.oci.OciResources;
import dev.berth.runtime.oci.OciSpec;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
    return build(plan, spec.sysctls(), infraRootfs, !spec.hostNetwork() && !spec.hostname().isEmpty() ? hostname : null,
        cgroupsPath, oomScoreAdj, spec.userNamespace());
  }

  /**
   * The spec of a spare infra ({@link SpareInfras}): what {@link #of} gives a pod that may take
   * one (its own network, PID, IPC and UTS namespaces, no sysctls, the node's user namespace), with
   * the node's hostname, which the pod that takes it replaces.
   */
  public static OciSpec spare(Path infraRootfs, String netnsPath, String cgroupsPath, int oomScoreAdj) {
    NamespacePlan plan = new NamespacePlan(netnsPath, NamespacePlan.NEW, NamespacePlan.NEW, NamespacePlan.NEW,
        NamespacePlan.HOST);
    return build(plan, Map.of(), infraRootfs, null, cgroupsPath, oomScoreAdj, null);
  }

  private static OciSpec build(NamespacePlan plan, Map<String, String> sysctls, Path infraRootfs,
      String hostname, String cgroupsPath, int oomScoreAdj, UserNamespaceMapping userNamespace) {
    // -P: pause mode; as pid 1 of a shared pod pid namespace it also reaps zombies.
    OciSpec.Process process = new OciSpec.Process(false, OciDefaults.ROOT, List.of(InfraRootfs.INIT, "-P"),
        List.of("PATH=/"), "/", OciSpec.Capabilities.of(OciDefaults.CAPABILITIES), false, oomScoreAdj);
    OciSpec.Linux linux = new OciSpec.Linux(sysctls.isEmpty() ? null : sysctls,
        new OciResources(List.of(OciResources.DeviceRule.all(false)), null, null, null, null), cgroupsPath,
        plan.namespaces(), null, null, null, OciDefaults.MASKED_PATHS, OciDefaults.READONLY_PATHS,
        userNamespace != null ? OciSpec.IdMapping.of(userNamespace.uids()) : null,
        userNamespace != null ? OciSpec.IdMapping.of(userNamespace.gids()) : null);
    return new OciSpec(OciSpec.VERSION, process, new OciSpec.Root(infraRootfs.toString(), true), hostname,
        OciDefaults.standardMounts(false), linux);
  }
}
