package dev.berth.runtime.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.image.archive.ImageArchiveBuilder.BuiltImage;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.manifest.Platform;
import dev.berth.image.store.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The registry of the AOT training run: serves one image, read from an OCI archive, over the
 * registry HTTP API on a loopback port, as a multi-platform index over its manifest (what most
 * public images are). The daemon being trained pulls it as a node pulls after a boot, so the
 * pull's classes (the JDK's HTTP client, the registry client, layer download, verify and unpack)
 * are in the cache rather than loaded from their jars on the first pull of a node's life: that
 * first pull took 800-900 ms against ~270 for the later ones on the bench's 50 MB image.
 *
 * <p>Anonymous and read-only: GET (and HEAD) of manifests by tag or digest and of blobs by digest;
 * anything else is 404. It listens on 127.0.0.1 only, for the few seconds of the training.
 */
final class TrainingRegistry implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BLOB_PREFIX = "blobs/sha256/";

  /** A manifest, index or blob the registry answers with. */
  private record Content(String mediaType, byte[] bytes) {}

  private final HttpServer server;
  private final String repository;
  private final String tag;
  private final Map<String, Content> manifests = new HashMap<>();
  private final Map<String, Content> blobs = new HashMap<>();

  private TrainingRegistry(HttpServer server, String repository, String tag) {
    this.server = server;
    this.repository = repository;
    this.tag = tag;
  }

  /** Starts serving {@code image} (written to {@code archive}) as {@code repository:tag}. */
  static TrainingRegistry serving(Path archive, BuiltImage image, String repository, String tag) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    TrainingRegistry registry = new TrainingRegistry(server, repository, tag);
    registry.load(archive, image);
    server.createContext("/v2/", registry::answer);
    server.start();
    return registry;
  }

  /** The reference a client pulls, e.g. {@code 127.0.0.1:41234/berth/aot-pull:v1}. */
  String reference() {
    return "127.0.0.1:" + server.getAddress().getPort() + "/" + repository + ":" + tag;
  }

  private void load(Path archive, BuiltImage image) throws IOException {
    try (InputStream in = Files.newInputStream(archive); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (entry.isFile() && entry.getName().startsWith(BLOB_PREFIX)) {
          blobs.put("sha256:" + entry.getName().substring(BLOB_PREFIX.length()),
              new Content("application/octet-stream", tar.readAllBytes()));
        }
      }
    }
    Content manifest = blobs.get(image.manifest().toString());
    if (manifest == null) {
      throw new IOException("the archive " + archive + " holds no manifest " + image.manifest());
    }
    manifests.put(image.manifest().toString(), new Content(MediaTypes.OCI_MANIFEST, manifest.bytes()));
    byte[] index = indexOver(image.manifest(), manifest.bytes().length);
    Content indexContent = new Content(MediaTypes.OCI_INDEX, index);
    manifests.put(Digest.of(index).toString(), indexContent);
    manifests.put(tag, indexContent);
  }

  private static byte[] indexOver(Digest manifest, long size) throws IOException {
    Platform host = Platform.host();
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ObjectNode entry = index.putArray("manifests").addObject();
    entry.put("mediaType", MediaTypes.OCI_MANIFEST);
    entry.put("digest", manifest.toString());
    entry.put("size", size);
    ObjectNode platform = entry.putObject("platform");
    platform.put("architecture", host.architecture());
    platform.put("os", host.os());
    if (host.variant() != null) {
      platform.put("variant", host.variant());
    }
    return JSON.writeValueAsBytes(index);
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      String prefix = "/v2/" + repository + "/";
      Content content = null;
      String reference = path.startsWith(prefix) ? path.substring(prefix.length()) : "";
      if (reference.startsWith("manifests/")) {
        content = manifests.get(reference.substring("manifests/".length()));
      } else if (reference.startsWith("blobs/")) {
        content = blobs.get(reference.substring("blobs/".length()));
      }
      if (!method.equals("GET") && !method.equals("HEAD") || content == null) {
        byte[] error = "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"not served here\"}]}"
            .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(404, error.length);
        exchange.getResponseBody().write(error);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", content.mediaType());
      exchange.getResponseHeaders().set("Docker-Content-Digest", Digest.of(content.bytes()).toString());
      if (method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Content-Length", Integer.toString(content.bytes().length));
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, content.bytes().length);
      try (OutputStream body = exchange.getResponseBody()) {
        body.write(content.bytes());
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
