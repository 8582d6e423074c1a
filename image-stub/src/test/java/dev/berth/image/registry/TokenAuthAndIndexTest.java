package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.manifest.Platform;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestMismatchException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anonymous bearer tokens and manifest-list selection, against a small in-test HTTP registry
 * (Debian's docker-registry has no token server of its own).
 */
class TokenAuthAndIndexTest {

  @TempDir
  Path tmp;

  private HttpServer server;
  private final AtomicInteger tokenRequests = new AtomicInteger();
  private final byte[] config = "{\"rootfs\":{\"diff_ids\":[]},\"config\":{}}".getBytes(StandardCharsets.UTF_8);
  private byte[] manifest;
  private byte[] index;
  private byte[] served;

  @BeforeEach
  void start() throws IOException {
    manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.DOCKER_CONFIG + "\",\"digest\":\"" + Digest.of(config) + "\",\"size\":" + config.length
        + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
    String other = "sha256:" + "b".repeat(64);
    index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_LIST + "\",\"manifests\":["
        + "{\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\"" + other + "\",\"size\":1,"
        + "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
        + "{\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\"" + Digest.of(manifest) + "\",\"size\":"
        + manifest.length + ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}").getBytes(StandardCharsets.UTF_8);
    served = config;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", ex -> {
      tokenRequests.incrementAndGet();
      String q = ex.getRequestURI().getQuery();
      boolean ok = q.contains("service=test") && q.contains("scope=repository:team/app:pull");
      reply(ex, ok ? 200 : 400, "application/json", "{\"token\":\"tok123\"}".getBytes(StandardCharsets.UTF_8));
    });
    server.createContext("/v2/", ex -> {
      if (!"Bearer tok123".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:"
            + server.getAddress().getPort() + "/token\",service=\"test\",scope=\"repository:team/app:pull\"");
        reply(ex, 401, "text/plain", new byte[0]);
        return;
      }
      String path = ex.getRequestURI().getPath();
      if (path.equals("/v2/team/app/manifests/v1")) {
        reply(ex, 200, MediaTypes.DOCKER_LIST, index);
      } else if (path.equals("/v2/team/app/manifests/" + Digest.of(manifest))) {
        reply(ex, 200, MediaTypes.DOCKER_MANIFEST, manifest);
      } else if (path.equals("/v2/team/app/blobs/" + Digest.of(config))) {
        reply(ex, 200, "application/octet-stream", served);
      } else {
        reply(ex, 404, "text/plain", new byte[0]);
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  private RegistryClient client() {
    String host = "127.0.0.1:" + server.getAddress().getPort();
    return new RegistryClient(new EndpointResolver(Map.of(), Set.of(host)), new Platform("linux", "amd64", null));
  }

  @Test
  void anonymousBearerTokenThenAmd64FromTheManifestList() throws Exception {
    ImageReference ref = ImageReference.parse("127.0.0.1:" + server.getAddress().getPort() + "/team/app:v1");
    RemoteImage remote = client().resolve(ref, RegistryCredentials.NONE);
    assertEquals(Digest.of(index), remote.referenceDigest());
    assertEquals(Digest.of(manifest), remote.manifestDigest());
    BlobStore blobs = new BlobStore(tmp.resolve("blobs"), tmp.resolve("tmp"));
    client().pullBlob(remote, remote.manifest().config(), blobs);
    assertTrue(blobs.contains(Digest.of(config)));
    assertTrue(tokenRequests.get() >= 1);
  }

  @Test
  void blobWithWrongContentIsADigestMismatch() throws Exception {
    // As long as the real config (a longer or shorter body is refused for its size first).
    served = new String(config, StandardCharsets.UTF_8).replace("config", "cOnfig").getBytes(StandardCharsets.UTF_8);
    ImageReference ref = ImageReference.parse("127.0.0.1:" + server.getAddress().getPort() + "/team/app:v1");
    RegistryClient client = client();
    RemoteImage remote = client.resolve(ref, RegistryCredentials.NONE);
    BlobStore blobs = new BlobStore(tmp.resolve("blobs"), tmp.resolve("tmp"));
    assertThrows(DigestMismatchException.class, () -> client.pullBlob(remote, remote.manifest().config(), blobs));
    assertEquals(List.of(), List.copyOf(blobs.list()));
  }
}
