package dev.berth.image.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** An OCI image index or a Docker manifest list. */
public record ImageIndex(List<Descriptor> manifests) {

  public static ImageIndex parse(byte[] json, String where) throws ManifestException {
    JsonNode root = ImageManifest.readTree(json, where);
    List<Descriptor> manifests = new ArrayList<>();
    for (JsonNode m : root.path("manifests")) {
      manifests.add(Descriptor.fromJson(m, where + " entry"));
    }
    return new ImageIndex(List.copyOf(manifests));
  }

  /**
   * The manifest for the platform. Entries without a platform (as in many single-image OCI
   * layouts) match too, but only when no entry names the platform explicitly.
   */
  public Optional<Descriptor> select(Platform platform) {
    Optional<Descriptor> exact = manifests.stream().filter(d -> platform.matches(d.platform())).findFirst();
    if (exact.isPresent()) {
      return exact;
    }
    return manifests.stream()
        .filter(d -> d.platform() == null && !"unknown".equals(d.annotations().get("vnd.docker.reference.type")))
        .findFirst();
  }
}
