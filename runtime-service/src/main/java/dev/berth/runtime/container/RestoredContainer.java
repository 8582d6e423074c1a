package dev.berth.runtime.container;

import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a container restored from a checkpoint becomes in its new pod: the process, its
 * security settings, resources and volumes stay as they were checkpointed; whatever belonged to
 * the old pod (rootfs path, cgroup, the pod's namespaces, the pod's files) is pointed at the new
 * one. Pure functions, so that each rule is tested without CRIU.
 */
final class RestoredContainer {

  /**
   * Where the restored container lives now.
   *
   * @param namespaces the new pod's namespaces: a file to join, {@link NamespacePlan#NEW} for a
   *     namespace of its own, {@link NamespacePlan#HOST} (null) for the node's
   * @param podFiles per container path (/etc/hosts ...): the new pod's file bound there
   * @param podsDir where pod files live: a bind from below it belonged to the old pod
   */
  record PodPlace(Path rootfs, String cgroupsPath, NamespacePlan namespaces, Map<String, Path> podFiles,
      Path podsDir) {}

  /** The OCI namespace types a pod's containers may join. */
  private static final java.util.Set<String> POD_NAMESPACES = java.util.Set.of("network", "ipc", "uts", "pid");

  private RestoredContainer() {}

  /** The checkpointed container under the name, labels and log the kubelet gave the new one. */
  static ContainerSpec spec(ContainerSpec archived, ContainerRequest request, String logPath) {
    ContainerSpec a = archived;
    return new ContainerSpec(request.name(), request.attempt(), a.image(), a.imageId(), a.imageRef(), a.args(),
        a.env(), a.workingDir(), a.uid(), a.gid(), a.supplementalGroups(), a.mounts(), a.devices(),
        request.labels(), request.annotations(), logPath, a.stdin(), a.stdinOnce(), a.tty(), a.stopSignal(),
        a.resources(), a.userSpecifiedImage());
  }

  /** The checkpointed OCI config, moved into the new pod. */
  static OciSpec retarget(OciSpec archived, PodPlace place) {
    OciSpec.Root root = new OciSpec.Root(place.rootfs().toString(),
        archived.root() != null && archived.root().readonly());
    OciSpec.Linux linux = archived.linux() == null
        ? new OciSpec.Linux(null, null, null, null, null, null, null, null, null, null, null) : archived.linux();
    List<OciSpec.Namespace> namespaces = null;
    if (linux.namespaces() != null) {
      namespaces = new ArrayList<>();
      for (OciSpec.Namespace namespace : linux.namespaces()) {
        // Only a namespace the container joined was the old pod's; one of its own stays its own.
        if (namespace.path() == null || !POD_NAMESPACES.contains(namespace.type())) {
          namespaces.add(namespace);
          continue;
        }
        NamespacePlan plan = place.namespaces();
        String now = switch (namespace.type()) {
          case "network" -> plan.network();
          case "ipc" -> plan.ipc();
          case "uts" -> plan.uts();
          default -> plan.pid();
        };
        // HOST (null): the new pod uses the node's, so the container joins none.
        if (now != null) {
          namespaces.add(new OciSpec.Namespace(namespace.type(), now.isEmpty() ? null : now));
        }
      }
      namespaces = List.copyOf(namespaces);
    }
    OciSpec config = archived.withRoot(root).withLinux(linux.inPod(place.cgroupsPath(), namespaces));
    if (archived.mounts() != null) {
      config = config.withMounts(archived.mounts().stream().map(mount -> {
        Path podFile = place.podFiles().get(mount.destination());
        String source = mount.source() == null ? "/" : mount.source();
        return podFile != null && Path.of(source).startsWith(place.podsDir()) ? mount.withSource(podFile.toString())
            : mount;
      }).toList());
    }
    return config;
  }
}
