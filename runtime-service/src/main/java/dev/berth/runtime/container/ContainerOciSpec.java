package dev.berth.runtime.container;

import dev.berth.runtime.oci.Capabilities;
import dev.berth.runtime.oci.HostDevice;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciDefaults;
import dev.berth.runtime.oci.OciResources;
import dev.berth.runtime.oci.OciSpec;
import dev.berth.runtime.oci.Seccomp;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * The CRI-to-OCI translation of a container: a CreateContainer request, its image's config and
 * the pod it runs in become the process Berth records and the OCI spec runc runs. A pure function:
 * everything it needs from the disk (the image's user files, mount sources with links resolved,
 * device nodes, a seccomp profile) and from the pod is read before and handed in as values, so
 * each rule is tested without root (the golden files of {@code ContainerOciSpecGoldenTest}).
 */
public final class ContainerOciSpec {

  /**
   * The pod's side: where the container lives and what of the pod it joins.
   *
   * @param cgroupsPath the pod's cgroup parent and the container's id
   * @param files the pod's files the container sees, unless one of its own mounts covers them
   *     (in a pod with its own user namespace, their idmapped copies)
   * @param userNamespace the mapping of the pod's own user namespace (which {@code namespaces}
   *     joins), empty for the node's
   */
  public record Pod(Path rootfs, String cgroupsPath, NamespacePlan namespaces, PodFiles files,
      Optional<UserNamespaceMapping> userNamespace) {

    /** A pod in the node's user namespace. */
    public Pod(Path rootfs, String cgroupsPath, NamespacePlan namespaces, PodFiles files) {
      this(rootfs, cgroupsPath, namespaces, files, Optional.empty());
    }
  }

  /** Host paths bound at /etc/hostname, /etc/hosts, /etc/resolv.conf and /dev/shm. */
  public record PodFiles(String hostname, String hosts, String resolvConf, String shm) {}

  /**
   * The node's side, fixed while the daemon runs.
   *
   * @param oomScoreAdjFloor the daemon's own score: the kernel refuses a container a lower one
   * @param pidsLimit the pids cgroup limit of every container, 0 for none
   * @param allCapabilities what a privileged container or an add of ALL gets: the daemon's bounding set
   */
  /**
   * What this node gives every container.
   *
   * @param hugetlbOutsideRuntime hugepage limits are the cgroup model's to write, not the
   *     runtime's (a hybrid node whose hugetlb controller is only on the v2 mount, where runc
   *     refuses them), so they stay out of the spec
   */
  public record Node(int oomScoreAdjFloor, long pidsLimit, List<String> allCapabilities,
      boolean hugetlbOutsideRuntime) {

    LinuxResources forRuntime(LinuxResources resources) {
      return hugetlbOutsideRuntime ? resources.withoutHugepageLimits() : resources;
    }
  }

  /**
   * What was read from the disk for this request.
   *
   * @param mounts the request's mounts, image volumes prepared and host paths resolved (in a pod
   *     with its own user namespace, to their idmapped copies)
   * @param devices the request's devices as the host has them
   * @param privilegedDevices every device of the host; read only for a privileged container
   * @param seccomp the profile the request names; empty for unconfined (and for privileged)
   */
  public record HostFacts(ImageUsers users, List<MountSpec> mounts, List<HostDevice> devices,
      List<HostDevice> privilegedDevices, Optional<Seccomp> seccomp) {}

  /** The process Berth records for the container, and the spec handed to the runtime. */
  public record Translated(ProcessPlan process, List<Long> supplementalGroups, OciSpec spec) {}

  private ContainerOciSpec() {}

  public static Translated translate(ContainerRequest request, ProcessPlan.ImageDefaults image, Pod pod, Node node,
      HostFacts host) {
    ProcessPlan process = ProcessPlan.merge(image,
        new ProcessPlan.Requested(request.command(), request.args(), request.env(), request.workingDir(),
            request.runAsUser(), request.runAsGroup(), request.runAsUsername()),
        host.users());
    List<Long> groups = supplementalGroups(process, request.security(), host.users());
    SecurityRequest security = request.security();
    boolean privileged = security.privileged();
    List<String> capabilities = privileged ? node.allCapabilities()
        : Capabilities.resolve(security.capabilitiesAdd(), security.capabilitiesDrop(), node.allCapabilities());
    OciSpec.Process ociProcess = new OciSpec.Process(request.tty(),
        new OciSpec.User(process.uid(), process.gid(), groups.isEmpty() ? null : groups), process.args(),
        process.env(), process.workingDir().isEmpty() ? "/" : process.workingDir(),
        OciSpec.Capabilities.of(capabilities), security.noNewPrivileges(),
        (int) Math.max(request.resources().oomScoreAdj(), node.oomScoreAdjFloor()));

    OciSpec.Linux linux = new OciSpec.Linux(null,
        resources(node.forRuntime(request.resources()), node.pidsLimit(), host.devices(), privileged),
        pod.cgroupsPath(), pod.namespaces().namespaces(),
        privileged ? devices(host.privilegedDevices()) : host.devices().isEmpty() ? null : devices(host.devices()),
        privileged ? null : host.seccomp().orElse(null),
        rootfsPropagation(host.mounts()),
        privileged ? List.of() : security.maskedPaths() != null ? List.copyOf(security.maskedPaths())
            : OciDefaults.MASKED_PATHS,
        privileged ? List.of() : security.readonlyPaths() != null ? List.copyOf(security.readonlyPaths())
            : OciDefaults.READONLY_PATHS,
        pod.userNamespace().map(m -> OciSpec.IdMapping.of(m.uids())).orElse(null),
        pod.userNamespace().map(m -> OciSpec.IdMapping.of(m.gids())).orElse(null));
    OciSpec spec = new OciSpec(OciSpec.VERSION, ociProcess,
        new OciSpec.Root(pod.rootfs().toString(), request.readonlyRootfs()), null,
        mounts(privileged, pod.files(), host.mounts()), linux);
    return new Translated(process, groups, spec);
  }

  /**
   * The groups runc hands to setgroups: the primary group first (as containerd and CRI-O do, so
   * that ContainerStatus.user lists it as kubelet and critest expect), then, under the Merge
   * policy, the image's /etc/group entries for the user, then the pod's own.
   */
  static List<Long> supplementalGroups(ProcessPlan process, SecurityRequest security, ImageUsers users) {
    LinkedHashSet<Long> groups = new LinkedHashSet<>();
    groups.add(process.gid());
    if (!security.strictSupplementalGroups()) {
      groups.addAll(ProcessPlan.imageGroupsOf(process.uid(), users));
    }
    groups.addAll(security.supplementalGroups());
    return List.copyOf(groups);
  }

  /** The CRI limits alone, as {@code runc update} takes them: no device rules, no pids limit. */
  public static OciResources limits(LinuxResources resources) {
    OciResources.Cpu cpu = new OciResources.Cpu(
        resources.cpuShares() > 0 ? resources.cpuShares() : null,
        resources.cpuQuota() != 0 ? resources.cpuQuota() : null,
        resources.cpuPeriod() > 0 ? resources.cpuPeriod() : null,
        resources.cpusetCpus().isEmpty() ? null : resources.cpusetCpus(),
        resources.cpusetMems().isEmpty() ? null : resources.cpusetMems());
    // Field by field rather than the record's equals: its first call, in a fresh daemon's first
    // CreateContainer, links it through ObjectMethods' bootstrap, which the AOT cache cannot keep.
    boolean noCpu = cpu.shares() == null && cpu.quota() == null && cpu.period() == null && cpu.cpus() == null
        && cpu.mems() == null;
    OciResources.Memory memory = resources.memoryLimitBytes() <= 0 ? null : new OciResources.Memory(
        resources.memoryLimitBytes(), resources.memorySwapLimitBytes() > 0 ? resources.memorySwapLimitBytes() : null);
    List<OciResources.HugepageLimit> hugepages = resources.hugepageLimits().isEmpty() ? null
        : resources.hugepageLimits().stream().map(h -> new OciResources.HugepageLimit(h.pageSize(), h.limitBytes()))
            .toList();
    return new OciResources(null, memory, noCpu ? null : cpu, null, hugepages);
  }

  /**
   * The limits with the device cgroup's rules: deny all, then allow each requested device; a
   * privileged container may use every device.
   */
  private static OciResources resources(LinuxResources requested, long pidsLimit, List<HostDevice> devices,
      boolean privileged) {
    List<OciResources.DeviceRule> rules = new ArrayList<>();
    if (privileged) {
      rules.add(OciResources.DeviceRule.all(true));
    } else {
      rules.add(OciResources.DeviceRule.all(false));
      for (HostDevice device : devices) {
        rules.add(new OciResources.DeviceRule(true, device.type(), device.major(), device.minor(),
            device.permissions()));
      }
    }
    OciResources limits = limits(requested);
    return new OciResources(List.copyOf(rules), limits.memory(), limits.cpu(),
        pidsLimit > 0 ? new OciResources.Pids(pidsLimit) : null, limits.hugepageLimits());
  }

  private static List<OciSpec.Device> devices(List<HostDevice> devices) {
    return devices.stream().map(d -> new OciSpec.Device(d.containerPath(), d.type(), d.major(), d.minor(),
        d.fileMode(), 0, 0)).toList();
  }

  /** The kernel file systems, the pod's files unless the request mounts its own there, then the request's mounts. */
  private static List<OciSpec.Mount> mounts(boolean privileged, PodFiles files, List<MountSpec> requested) {
    List<OciSpec.Mount> mounts = new ArrayList<>(OciDefaults.standardMounts(privileged));
    bindUnlessMounted(mounts, requested, "/etc/hostname", files.hostname());
    bindUnlessMounted(mounts, requested, "/etc/hosts", files.hosts());
    bindUnlessMounted(mounts, requested, "/etc/resolv.conf", files.resolvConf());
    bindUnlessMounted(mounts, requested, "/dev/shm", files.shm());
    for (MountSpec mount : requested) {
      // With rro the runtime sets MOUNT_ATTR_RDONLY on the whole tree (mount_setattr, AT_RECURSIVE).
      mounts.add(mount.recursiveReadOnly()
          ? OciDefaults.bind(mount.containerPath(), mount.hostPath(), mount.propagation(), mount.readonly(), "rro")
          : OciDefaults.bind(mount.containerPath(), mount.hostPath(), mount.propagation(), mount.readonly()));
    }
    return List.copyOf(mounts);
  }

  private static void bindUnlessMounted(List<OciSpec.Mount> mounts, List<MountSpec> requested, String target,
      String source) {
    if (requested.stream().noneMatch(m -> m.containerPath().equals(target))) {
      mounts.add(OciDefaults.bind(target, source, "rprivate", false));
    }
  }

  /** A propagating mount needs the container's root mount to propagate as well. */
  private static String rootfsPropagation(List<MountSpec> mounts) {
    if (mounts.stream().anyMatch(m -> m.propagation().equals("rshared"))) {
      return "rshared";
    }
    if (mounts.stream().anyMatch(m -> m.propagation().equals("rslave"))) {
      return "rslave";
    }
    return null;
  }
}
