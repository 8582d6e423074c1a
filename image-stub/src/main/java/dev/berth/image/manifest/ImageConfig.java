package dev.berth.image.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.store.Digest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parts of an OCI image config that running a container and checking layers need. */
public record ImageConfig(
    String os,
    String architecture,
    List<String> entrypoint,
    List<String> cmd,
    List<String> env,
    String workingDir,
    String user,
    String stopSignal,
    Map<String, String> labels,
    List<Digest> diffIds) {

  /**
   * The biggest image config Berth reads. Real configs are kilobytes (a long history makes a few
   * hundred); a bigger one is refused at pull and import instead of being held in memory.
   */
  public static final int MAX_BYTES = 8 * 1024 * 1024;

  public static ImageConfig parse(byte[] json, String where) throws ManifestException {
    JsonNode root = ImageManifest.readTree(json, where);
    JsonNode config = root.path("config");
    List<Digest> diffIds = new ArrayList<>();
    for (JsonNode d : root.path("rootfs").path("diff_ids")) {
      try {
        diffIds.add(Digest.parse(d.asText()));
      } catch (IllegalArgumentException e) {
        throw new ManifestException(where + ": rootfs.diff_ids: " + e.getMessage());
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    config.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
    return new ImageConfig(root.path("os").asText(""), root.path("architecture").asText(""),
        strings(config.path("Entrypoint")), strings(config.path("Cmd")), strings(config.path("Env")),
        config.path("WorkingDir").asText(""), config.path("User").asText(""), config.path("StopSignal").asText(""),
        Map.copyOf(labels), List.copyOf(diffIds));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(n.asText());
    }
    return List.copyOf(out);
  }
}
