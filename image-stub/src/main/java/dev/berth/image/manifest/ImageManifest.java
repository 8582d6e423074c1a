package dev.berth.image.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** An OCI image manifest or a Docker schema 2 manifest: one config and its layers, bottom first. */
public record ImageManifest(String mediaType, Descriptor config, List<Descriptor> layers) {

  static final ObjectMapper JSON = new ObjectMapper();

  public static ImageManifest parse(byte[] json, String fallbackMediaType, String where) throws ManifestException {
    JsonNode root = readTree(json, where);
    if (root.path("schemaVersion").asInt() != 2) {
      throw new ManifestException(where + ": unsupported manifest schemaVersion " + root.path("schemaVersion"));
    }
    String mediaType = root.path("mediaType").asText(fallbackMediaType == null ? MediaTypes.OCI_MANIFEST : fallbackMediaType);
    if (!root.has("config") || !root.has("layers")) {
      throw new ManifestException(where + ": manifest without config or layers");
    }
    Descriptor config = Descriptor.fromJson(root.get("config"), where + " config");
    List<Descriptor> layers = new ArrayList<>();
    for (JsonNode layer : root.get("layers")) {
      layers.add(Descriptor.fromJson(layer, where + " layer"));
    }
    return new ImageManifest(mediaType, config, List.copyOf(layers));
  }

  /** True when the bytes are an index or manifest list rather than a manifest. */
  public static boolean isIndex(byte[] json, String mediaType, String where) throws ManifestException {
    if (mediaType != null && MediaTypes.INDEXES.contains(mediaType)) {
      return true;
    }
    if (mediaType != null && MediaTypes.MANIFESTS.contains(mediaType)) {
      return false;
    }
    JsonNode root = readTree(json, where);
    String declared = root.path("mediaType").asText("");
    return MediaTypes.INDEXES.contains(declared) || (root.has("manifests") && !root.has("layers"));
  }

  static JsonNode readTree(byte[] json, String where) throws ManifestException {
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) {
        throw new ManifestException(where + ": not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new ManifestException(where + ": malformed JSON: " + e.getMessage());
    }
  }
}
