package dev.berth.runtime.cri;

import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ContainerResources;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ContainerUser;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.LinuxContainerUser;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.MountPropagation;
import dev.berth.cri.v1.SupplementalGroupsPolicy;
import dev.berth.cri.v1.Signal;
import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerRequest;
import dev.berth.runtime.container.ContainerSpec;
import dev.berth.runtime.container.DeviceSpec;
import dev.berth.runtime.container.LinuxResources;
import dev.berth.runtime.container.MountSpec;
import dev.berth.runtime.userns.UserNamespaceMapping;
import dev.berth.runtime.container.SecurityRequest;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.Printable;
import dev.berth.cri.v1.SecurityProfile;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Container messages to and from the domain's containers. */
final class ContainerTranslator {

  /** CRI signal names to their enum values; UNRECOGNIZED has no number to send, so it is left out. */
  private static final Map<String, Signal> STOP_SIGNALS = Arrays.stream(Signal.values())
      .filter(signal -> signal != Signal.UNRECOGNIZED)
      .collect(Collectors.toUnmodifiableMap(Signal::name, signal -> signal));

  private ContainerTranslator() {}

  static ContainerRequest request(ContainerConfig config) {
    Validate.present(config.hasMetadata(), "container config metadata");
    String name = Validate.name(config.getMetadata().getName(), "container config metadata.name");
    if (config.getImage().getImage().isEmpty()) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument("container config image.image is empty");
    }
    // The reference's grammar is the image store's to judge; control characters are refused here
    // because the reference is also a path (a checkpoint archive) and is echoed in messages.
    Validate.text(config.getImage().getImage(), "container config image.image");
    Validate.noNul(config.getLogPath(), "container config log_path");
    Validate.noNul(config.getWorkingDir(), "container config working_dir");
    Validate.noNuls(config.getCommandList(), "container config command");
    Validate.noNuls(config.getArgsList(), "container config args");
    for (int i = 0; i < config.getEnvsCount(); i++) {
      Validate.noNul(config.getEnvs(i).getKey(), "container config envs[" + i + "].key");
      if (config.getEnvs(i).getValue().toStringUtf8().indexOf('\0') >= 0) {
        throw new CriException.InvalidArgument("container config envs[" + i + "].value ("
            + Printable.quote(config.getEnvs(i).getKey()) + ") contains a NUL character");
      }
    }
    for (int i = 0; i < config.getMountsCount(); i++) {
      Validate.noNul(config.getMounts(i).getContainerPath(), "container config mounts[" + i + "].container_path");
      Validate.noNul(config.getMounts(i).getHostPath(), "container config mounts[" + i + "].host_path");
    }
    for (int i = 0; i < config.getDevicesCount(); i++) {
      Validate.noNul(config.getDevices(i).getContainerPath(), "container config devices[" + i + "].container_path");
      Validate.noNul(config.getDevices(i).getHostPath(), "container config devices[" + i + "].host_path");
    }
    Validate.labels(config.getLabelsMap(), "container config labels");
    Validate.annotationKeys(config.getAnnotationsMap(), "container config annotations");
    LinuxContainerSecurityContext security = config.getLinux().getSecurityContext();
    List<String> env = config.getEnvsList().stream()
        .map(kv -> kv.getKey() + "=" + kv.getValue().toString(StandardCharsets.UTF_8))
        .toList();
    List<MountSpec> mounts = config.getMountsList().stream().map(ContainerTranslator::mount).toList();
    List<DeviceSpec> devices = config.getDevicesList().stream()
        .map(d -> new DeviceSpec(d.getContainerPath(), d.getHostPath(), d.getPermissions().isEmpty() ? "rwm" : d.getPermissions()))
        .toList();
    String pidMode = switch (security.getNamespaceOptions().getPid()) {
      case POD -> "POD";
      case NODE -> "NODE";
      case TARGET -> "TARGET";
      default -> "CONTAINER";
    };
    if (pidMode.equals("TARGET") && security.getNamespaceOptions().getTargetId().isEmpty()) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument(
          "container config linux.security_context.namespace_options.target_id is empty for pid TARGET");
    }
    return new ContainerRequest(name, config.getMetadata().getAttempt(), config.getImage().getImage(),
        config.getCommandList(), config.getArgsList(), config.getWorkingDir(), env, mounts, devices,
        config.getLabelsMap(), config.getAnnotationsMap(), config.getLogPath(), config.getStdin(),
        config.getStdinOnce(), config.getTty(),
        security.hasRunAsUser() ? Long.valueOf(security.getRunAsUser().getValue()) : null,
        security.hasRunAsGroup() ? Long.valueOf(security.getRunAsGroup().getValue()) : null,
        security.getRunAsUsername().isEmpty() ? null : security.getRunAsUsername(),
        security.getReadonlyRootfs(), pidMode, resources(config.getLinux().getResources()),
        config.getStopSignal() == Signal.RUNTIME_DEFAULT ? "" : config.getStopSignal().name(),
        security(security), security.getNamespaceOptions().getTargetId(),
        config.getImage().getUserSpecifiedImage());
  }

  private static SecurityRequest security(LinuxContainerSecurityContext security) {
    UnsupportedLsm.note(security);
    return new SecurityRequest(
        security.getPrivileged(),
        security.getCapabilities().getAddCapabilitiesList(),
        security.getCapabilities().getDropCapabilitiesList(),
        security.getNoNewPrivs(),
        // The kubelet sends both lists (often empty) when the pod sets procMount; an empty list
        // from a Default procMount means "defaults", as containerd reads it.
        security.getMaskedPathsCount() > 0 ? security.getMaskedPathsList() : null,
        security.getReadonlyPathsCount() > 0 ? security.getReadonlyPathsList() : null,
        security.getSupplementalGroupsList(),
        seccomp(security),
        security.getSupplementalGroupsPolicy() == SupplementalGroupsPolicy.Strict);
  }

  /** The seccomp field wins over the deprecated path; an absent profile means unconfined, as in containerd. */
  private static String seccomp(LinuxContainerSecurityContext security) {
    if (security.hasSeccomp()) {
      SecurityProfile profile = security.getSeccomp();
      return switch (profile.getProfileType()) {
        case RuntimeDefault -> SecurityRequest.RUNTIME_DEFAULT;
        case Unconfined -> SecurityRequest.UNCONFINED;
        case Localhost -> SecurityRequest.LOCALHOST_PREFIX + profile.getLocalhostRef();
        default -> throw new dev.berth.runtime.model.CriException.InvalidArgument(
            "unknown seccomp profile type " + profile.getProfileTypeValue());
      };
    }
    String path = security.getSeccompProfilePath();
    if (path.isEmpty() || path.equals("unconfined")) {
      return SecurityRequest.UNCONFINED;
    }
    if (path.equals("runtime/default") || path.equals("docker/default")) {
      return SecurityRequest.RUNTIME_DEFAULT;
    }
    if (path.startsWith(SecurityRequest.LOCALHOST_PREFIX)) {
      return path;
    }
    throw new dev.berth.runtime.model.CriException.InvalidArgument("seccomp profile \"" + path
        + "\" must be runtime/default, unconfined or localhost/<path>");
  }

  /**
   * A recursive read-only mount must be read-only and private, as KEP-3857 and containerd have
   * it: a propagating mount would receive new writable sub-mounts the runtime never made read-only.
   */
  private static MountSpec mount(Mount mount) {
    if (mount.getRecursiveReadOnly()) {
      if (!mount.getReadonly()) {
        throw new dev.berth.runtime.model.CriException.InvalidArgument("mount " + mount.getContainerPath()
            + ": recursive_read_only needs readonly true");
      }
      if (mount.getPropagation() != MountPropagation.PROPAGATION_PRIVATE) {
        throw new dev.berth.runtime.model.CriException.InvalidArgument("mount " + mount.getContainerPath()
            + ": recursive_read_only needs propagation PROPAGATION_PRIVATE, not " + mount.getPropagation());
      }
    }
    String image = mount.getImage().getImage();
    if (image.isEmpty() && !mount.getImageSubPath().isEmpty()) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument("mount " + mount.getContainerPath()
          + ": image_sub_path without image.image");
    }
    // An image volume is read-only whatever the request says, as in containerd and CRI-O.
    return new MountSpec(mount.getContainerPath(), mount.getHostPath(), mount.getReadonly() || !image.isEmpty(),
        propagation(mount.getPropagation()), mount.getRecursiveReadOnly(), image, mount.getImageSubPath(),
        idmap(mount));
  }

  /**
   * A mount's own uid/gid mappings: none, or exactly one range each (as for the pod's user
   * namespace; one user namespace made for the mount carries both).
   */
  private static UserNamespaceMapping idmap(Mount mount) {
    if (mount.getUidMappingsCount() == 0 && mount.getGidMappingsCount() == 0) {
      return null;
    }
    if (mount.getUidMappingsCount() != 1 || mount.getGidMappingsCount() != 1) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument("mount " + mount.getContainerPath()
          + ": uidMappings and gidMappings must hold one mapping each, got " + mount.getUidMappingsCount() + " and "
          + mount.getGidMappingsCount());
    }
    try {
      return new UserNamespaceMapping(UserNamespaceOptions.idMapping(mount.getUidMappings(0)),
          UserNamespaceOptions.idMapping(mount.getGidMappings(0)));
    } catch (IllegalArgumentException e) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument("mount " + mount.getContainerPath()
          + " uidMappings/gidMappings: " + e.getMessage());
    }
  }

  private static String propagation(MountPropagation propagation) {
    return switch (propagation) {
      case PROPAGATION_HOST_TO_CONTAINER -> "rslave";
      case PROPAGATION_BIDIRECTIONAL -> "rshared";
      default -> "rprivate";
    };
  }

  private static MountPropagation propagation(String propagation) {
    return switch (propagation) {
      case "rslave" -> MountPropagation.PROPAGATION_HOST_TO_CONTAINER;
      case "rshared" -> MountPropagation.PROPAGATION_BIDIRECTIONAL;
      default -> MountPropagation.PROPAGATION_PRIVATE;
    };
  }

  static LinuxResources resources(LinuxContainerResources r) {
    if (r.getCpuShares() < 0 || r.getCpuPeriod() < 0 || r.getMemoryLimitInBytes() < 0
        || r.getMemorySwapLimitInBytes() < 0) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument(
          "linux resources: cpu_shares, cpu_period, memory_limit_in_bytes and memory_swap_limit_in_bytes must not be negative");
    }
    if (r.getOomScoreAdj() < -1000 || r.getOomScoreAdj() > 1000) {
      throw new dev.berth.runtime.model.CriException.InvalidArgument(
          "linux resources: oom_score_adj " + r.getOomScoreAdj() + " is outside -1000..1000");
    }
    return new LinuxResources(r.getCpuPeriod(), r.getCpuQuota(), r.getCpuShares(), r.getMemoryLimitInBytes(),
        r.getOomScoreAdj(), r.getCpusetCpus(), r.getCpusetMems(), r.getMemorySwapLimitInBytes(),
        r.getHugepageLimitsList().stream()
            .map(h -> new LinuxResources.HugepageLimit(h.getPageSize(), h.getLimit()))
            .toList());
  }

  static LinuxContainerResources resources(LinuxResources r) {
    LinuxContainerResources.Builder builder = LinuxContainerResources.newBuilder().setCpuPeriod(r.cpuPeriod())
        .setCpuQuota(r.cpuQuota()).setCpuShares(r.cpuShares()).setMemoryLimitInBytes(r.memoryLimitBytes())
        .setOomScoreAdj(r.oomScoreAdj()).setCpusetCpus(r.cpusetCpus()).setCpusetMems(r.cpusetMems())
        .setMemorySwapLimitInBytes(r.memorySwapLimitBytes());
    r.hugepageLimits().forEach(h -> builder.addHugepageLimits(
        dev.berth.cri.v1.HugepageLimit.newBuilder().setPageSize(h.pageSize()).setLimit(h.limitBytes())));
    return builder.build();
  }

  static dev.berth.cri.v1.ContainerState state(dev.berth.runtime.container.ContainerState state) {
    return switch (state) {
      case CREATED -> dev.berth.cri.v1.ContainerState.CONTAINER_CREATED;
      case RUNNING -> dev.berth.cri.v1.ContainerState.CONTAINER_RUNNING;
      case EXITED -> dev.berth.cri.v1.ContainerState.CONTAINER_EXITED;
      case UNKNOWN -> dev.berth.cri.v1.ContainerState.CONTAINER_UNKNOWN;
    };
  }

  static dev.berth.runtime.container.ContainerState state(dev.berth.cri.v1.ContainerState state) {
    return switch (state) {
      case CONTAINER_CREATED -> dev.berth.runtime.container.ContainerState.CREATED;
      case CONTAINER_RUNNING -> dev.berth.runtime.container.ContainerState.RUNNING;
      case CONTAINER_EXITED -> dev.berth.runtime.container.ContainerState.EXITED;
      default -> dev.berth.runtime.container.ContainerState.UNKNOWN;
    };
  }

  private static ContainerMetadata metadata(ContainerSpec spec) {
    return ContainerMetadata.newBuilder().setName(spec.name()).setAttempt(spec.attempt()).build();
  }

  static dev.berth.cri.v1.Container summary(Container container) {
    ContainerSpec spec = container.spec();
    return dev.berth.cri.v1.Container.newBuilder()
        .setId(container.id())
        .setPodSandboxId(container.sandboxId())
        .setMetadata(metadata(spec))
        .setImage(imageSpec(spec))
        .setImageRef(spec.imageRef())
        .setImageId(spec.imageId())
        .setState(state(container.state()))
        .setCreatedAt(container.createdAtNanos())
        .putAllLabels(spec.labels())
        .putAllAnnotations(spec.annotations())
        .build();
  }

  /**
   * The image as the user named it, as containerd answers: the kubelet creates containers by
   * image id and reads this back for the pod's status; the id stays in image_ref and image_id.
   */
  private static ImageSpec imageSpec(ContainerSpec spec) {
    return ImageSpec.newBuilder().setImage(spec.displayImage()).setUserSpecifiedImage(spec.userSpecifiedImage())
        .build();
  }

  static ContainerStatus status(Container container) {
    ContainerSpec spec = container.spec();
    ContainerStatus.Builder status = ContainerStatus.newBuilder()
        .setId(container.id())
        .setMetadata(metadata(spec))
        .setState(state(container.state()))
        .setCreatedAt(container.createdAtNanos())
        .setStartedAt(container.startedAtNanos())
        .setFinishedAt(container.finishedAtNanos())
        .setExitCode(container.exitCode())
        .setImage(imageSpec(spec))
        .setImageRef(spec.imageRef())
        .setImageId(spec.imageId())
        .setReason(container.reason())
        .setMessage(container.message())
        .putAllLabels(spec.labels())
        .putAllAnnotations(spec.annotations())
        .setLogPath(spec.logPath())
        .setResources(ContainerResources.newBuilder().setLinux(resources(spec.resources())))
        .setUser(ContainerUser.newBuilder().setLinux(LinuxContainerUser.newBuilder().setUid(spec.uid()).setGid(spec.gid())
            .addAllSupplementalGroups(spec.supplementalGroups())));
    for (MountSpec mount : spec.mounts()) {
      status.addMounts(Mount.newBuilder().setContainerPath(mount.containerPath()).setHostPath(mount.hostPath())
          .setReadonly(mount.readonly()).setPropagation(propagation(mount.propagation()))
          .setRecursiveReadOnly(mount.recursiveReadOnly()).setImageSubPath(mount.imageSubPath()));
      if (mount.fromImage()) {
        status.getMountsBuilder(status.getMountsCount() - 1).setImage(ImageSpec.newBuilder().setImage(mount.image()));
      }
    }
    // A numeric or unusual image stop signal ("15", "SIGRTMIN+3") has no CRI enum value; leave
    // the default. A map lookup, not Signal.valueOf and a caught exception: this runs on every
    // ContainerStatus, and an exception per call of such a container is costly.
    Signal stopSignal = STOP_SIGNALS.get(spec.stopSignal());
    if (stopSignal != null) {
      status.setStopSignal(stopSignal);
    }
    return status.build();
  }

}
