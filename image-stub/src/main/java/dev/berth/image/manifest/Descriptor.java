package dev.berth.image.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.image.store.Digest;
import java.util.HashMap;
import java.util.Map;

/** An OCI content descriptor: what a manifest or index says about one blob. */
public record Descriptor(String mediaType, Digest digest, long size, Platform platform, Map<String, String> annotations) {

  static Descriptor fromJson(JsonNode node, String where) throws ManifestException {
    JsonNode digest = node.get("digest");
    if (digest == null || !digest.isTextual()) {
      throw new ManifestException(where + ": descriptor without a digest");
    }
    Digest d;
    try {
      d = Digest.parse(digest.asText());
    } catch (IllegalArgumentException e) {
      throw new ManifestException(where + ": " + e.getMessage());
    }
    Platform platform = null;
    JsonNode p = node.get("platform");
    if (p != null && p.isObject()) {
      platform = new Platform(p.path("os").asText(""), p.path("architecture").asText(""),
          p.hasNonNull("variant") ? p.get("variant").asText() : null);
    }
    Map<String, String> annotations = new HashMap<>();
    node.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
    return new Descriptor(node.path("mediaType").asText(""), d, node.path("size").asLong(-1), platform, annotations);
  }
}
