package dev.berth.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.image.archive.ImageArchiveBuilder;
import dev.berth.image.archive.ImageArchiveBuilder.BuiltImage;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.manifest.Platform;
import dev.berth.image.store.Digest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training run's registry answers as a registry does: the tag names an index over the image's
 * manifest for this platform, and every manifest and blob comes with its media type and a digest
 * that matches its bytes; anything else is 404.
 */
class TrainingRegistryTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private static HttpResponse<byte[]> get(HttpClient http, String base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void servesTheImageAsAnIndexOverItsManifest() throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.writeString(rootfs.resolve("hello"), "hello\n");
    BuiltImage image = ImageArchiveBuilder.fromDirectory(rootfs).name("aot-pull:v1").writeTo(tmp.resolve("image.tar"));

    try (TrainingRegistry registry = TrainingRegistry.serving(tmp.resolve("image.tar"), image, "berth/aot-pull", "v1");
        HttpClient http = HttpClient.newHttpClient()) {
      String reference = registry.reference();
      assertTrue(reference.matches("127\\.0\\.0\\.1:\\d+/berth/aot-pull:v1"), reference);
      String base = "http://" + reference.substring(0, reference.indexOf('/')) + "/v2/berth/aot-pull/";

      HttpResponse<byte[]> index = get(http, base, "manifests/v1");
      assertEquals(200, index.statusCode());
      assertEquals(MediaTypes.OCI_INDEX, index.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(Digest.of(index.body()).toString(), index.headers().firstValue("Docker-Content-Digest").orElseThrow());
      JsonNode entry = JSON.readTree(index.body()).get("manifests").get(0);
      assertEquals(image.manifest().toString(), entry.get("digest").asText());
      assertEquals(Platform.host().architecture(), entry.get("platform").get("architecture").asText());

      HttpResponse<byte[]> manifest = get(http, base, "manifests/" + image.manifest());
      assertEquals(200, manifest.statusCode());
      assertEquals(MediaTypes.OCI_MANIFEST, manifest.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(image.manifest(), Digest.of(manifest.body()));
      assertEquals(entry.get("size").asLong(), manifest.body().length);

      for (Digest blob : new Digest[] {image.config(), image.layerBlob()}) {
        HttpResponse<byte[]> response = get(http, base, "blobs/" + blob);
        assertEquals(200, response.statusCode());
        assertEquals(blob, Digest.of(response.body()));
      }

      assertEquals(404, get(http, base, "manifests/v2").statusCode());
      assertEquals(404, get(http, base, "blobs/sha256:" + "0".repeat(64)).statusCode());
      assertEquals(404, get(http, base.replace("aot-pull", "other"), "manifests/v1").statusCode());
    }
  }
}
