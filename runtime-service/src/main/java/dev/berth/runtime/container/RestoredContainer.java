package dev.berth.runtime.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.oci.NamespacePlan;
import java.nio.file.Path;
import java.util.Iterator;
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
  static ObjectNode retarget(JsonNode archived, PodPlace place) {
    ObjectNode config = archived.deepCopy();
    ((ObjectNode) config.with("root")).put("path", place.rootfs().toString());
    ObjectNode linux = (ObjectNode) config.with("linux");
    linux.put("cgroupsPath", place.cgroupsPath());
    JsonNode namespaces = linux.path("namespaces");
    if (namespaces instanceof ArrayNode list) {
      for (Iterator<JsonNode> it = list.iterator(); it.hasNext(); ) {
        ObjectNode namespace = (ObjectNode) it.next();
        NamespacePlan plan = place.namespaces();
        String type = namespace.path("type").asText();
        // Only a namespace the container joined was the old pod's; one of its own stays its own.
        if (!namespace.hasNonNull("path") || !POD_NAMESPACES.contains(type)) {
          continue;
        }
        String now = switch (type) {
          case "network" -> plan.network();
          case "ipc" -> plan.ipc();
          case "uts" -> plan.uts();
          default -> plan.pid();
        };
        if (now == NamespacePlan.HOST) {
          it.remove();
        } else if (now.equals(NamespacePlan.NEW)) {
          namespace.remove("path");
        } else {
          namespace.put("path", now);
        }
      }
    }
    if (config.path("mounts") instanceof ArrayNode mounts) {
      for (JsonNode node : mounts) {
        ObjectNode mount = (ObjectNode) node;
        Path podFile = place.podFiles().get(mount.path("destination").asText());
        if (podFile != null && Path.of(mount.path("source").asText("/")).startsWith(place.podsDir())) {
          mount.put("source", podFile.toString());
        }
      }
    }
    return config;
  }
}
