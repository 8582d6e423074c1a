package dev.berth.runtime.load;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.store.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A registry on a loopback port serving one image, {@code slow/app:v1}, whose only layer stops
 * half-way through its download until {@link #release} is called: a pull that hangs on the
 * network, as one from a slow or overloaded registry does. Loopback registries are reached over
 * plain HTTP without configuration.
 */
final class StallingRegistry implements AutoCloseable {

  static final String REPOSITORY = "slow/app";
  static final String TAG = "v1";

  private final HttpServer server;
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final byte[] layer;
  private final byte[] config;
  private final byte[] manifest;
  private final CountDownLatch stalled = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  private StallingRegistry(HttpServer server, byte[] layer) {
    this.server = server;
    this.layer = layer;
    // An uncompressed layer: its digest is also its diff id.
    this.config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/data\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.of(layer) + "\"]}}").getBytes(StandardCharsets.UTF_8);
    this.manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.of(config)
        + "\",\"size\":" + config.length + "},"
        + "\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER + "\",\"digest\":\"" + Digest.of(layer)
        + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
  }

  static StallingRegistry start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    StallingRegistry registry = new StallingRegistry(server, layerTar());
    // Its own threads: the stalled download must not hold up the registry's other answers.
    server.setExecutor(registry.handlers);
    server.createContext("/v2/", registry::handle);
    server.start();
    return registry;
  }

  /** A tar with one 256 KiB file, big enough that half of it is a real partial download. */
  private static byte[] layerTar() throws IOException {
    byte[] data = new byte[256 * 1024];
    Arrays.fill(data, (byte) 'x');
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      TarArchiveEntry entry = new TarArchiveEntry("data");
      entry.setSize(data.length);
      entry.setMode(0644);
      tar.putArchiveEntry(entry);
      tar.write(data);
      tar.closeArchiveEntry();
    }
    return out.toByteArray();
  }

  String reference() {
    return "127.0.0.1:" + server.getAddress().getPort() + "/" + REPOSITORY + ":" + TAG;
  }

  /** Waits until a pull has received half of the layer and is waiting for the rest. */
  boolean awaitStalled(long seconds) throws InterruptedException {
    return stalled.await(seconds, TimeUnit.SECONDS);
  }

  /** Lets the stalled download finish. */
  void release() {
    released.countDown();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String prefix = "/v2/" + REPOSITORY;
    try (exchange) {
      if (path.equals("/v2/")) {
        reply(exchange, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
      } else if (path.equals(prefix + "/manifests/" + TAG) || path.equals(prefix + "/manifests/" + Digest.of(manifest))) {
        exchange.getResponseHeaders().add("Docker-Content-Digest", Digest.of(manifest).toString());
        reply(exchange, MediaTypes.OCI_MANIFEST, exchange.getRequestMethod().equals("HEAD") ? null : manifest);
      } else if (path.equals(prefix + "/blobs/" + Digest.of(config))) {
        reply(exchange, "application/octet-stream", config);
      } else if (path.equals(prefix + "/blobs/" + Digest.of(layer))) {
        stallHalfWay(exchange);
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
    }
  }

  private void stallHalfWay(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
    exchange.sendResponseHeaders(200, layer.length);
    OutputStream body = exchange.getResponseBody();
    body.write(layer, 0, layer.length / 2);
    body.flush();
    stalled.countDown();
    try {
      // Bounded, so that a test that forgets to release cannot hang the registry for ever.
      released.await(5, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    body.write(layer, layer.length / 2, layer.length - layer.length / 2);
  }

  private static void reply(HttpExchange exchange, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", type);
    if (body == null) {
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    handlers.shutdownNow();
  }
}
