package dev.berth.runtime.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.image.archive.ImageArchiveBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A registry on loopback (plain HTTP, no auth) serving one busybox image from an OCI archive,
 * whose layer blob can be made to stall half way through its body: headers and the first half
 * are sent, then nothing until {@link #release} (the rest follows) or {@link #close}. A pull of it
 * is in flight for as long as a test wants.
 */
public final class StallingRegistry implements AutoCloseable {

  private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

  private final HttpServer server;
  private final Path blobs;
  private final ImageArchiveBuilder.BuiltImage image;
  private final AtomicBoolean stall = new AtomicBoolean(true);
  private final CountDownLatch stalled = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  private StallingRegistry(HttpServer server, Path blobs, ImageArchiveBuilder.BuiltImage image) {
    this.server = server;
    this.blobs = blobs;
    this.image = image;
  }

  /** Builds the image under {@code work} and starts serving it; the layer stalls until {@link #stopStalling}. */
  public static StallingRegistry start(Path work) throws IOException, InterruptedException {
    Path archive = work.resolve("registry-image.tar");
    ImageArchiveBuilder.BuiltImage image = ImageArchiveBuilder
        .fromDirectory(TestImages.busyboxRootfs(Files.createDirectories(work.resolve("registry-rootfs"))))
        .cmd(List.of("sh")).gzip(false).writeTo(archive);
    Path layout = Files.createDirectories(work.resolve("registry-layout"));
    Process tar = new ProcessBuilder("tar", "-xf", archive.toString(), "-C", layout.toString())
        .redirectErrorStream(true).start();
    tar.getInputStream().readAllBytes();
    if (!tar.waitFor(60, TimeUnit.SECONDS) || tar.exitValue() != 0) {
      throw new IOException("cannot unpack " + archive);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    StallingRegistry registry = new StallingRegistry(server, layout.resolve("blobs").resolve("sha256"), image);
    server.createContext("/v2/", registry::handle);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread thread = new Thread(r, "stalling-registry");
      thread.setDaemon(true);
      return thread;
    }));
    server.start();
    return registry;
  }

  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  public ImageArchiveBuilder.BuiltImage image() {
    return image;
  }

  public void stopStalling() {
    stall.set(false);
  }

  /** Lets a stalled download send the rest of its layer, and later ones send it whole. */
  public void release() {
    stopStalling();
    released.countDown();
  }

  /** Waits until a layer download has stalled half way. */
  public boolean awaitStalled(long seconds) throws InterruptedException {
    return stalled.await(seconds, TimeUnit.SECONDS);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean head = exchange.getRequestMethod().equals("HEAD");
      if (path.equals("/v2/")) {
        send(exchange, 200, "application/json", new byte[] {'{', '}'}, head);
      } else if (path.contains("/manifests/")) {
        byte[] manifest = Files.readAllBytes(blobs.resolve(image.manifest().hex()));
        exchange.getResponseHeaders().add("Docker-Content-Digest", image.manifest().toString());
        send(exchange, 200, MANIFEST_TYPE, manifest, head);
      } else if (path.contains("/blobs/sha256:")) {
        Path blob = blobs.resolve(path.substring(path.lastIndexOf(':') + 1));
        if (!Files.isRegularFile(blob)) {
          send(exchange, 404, "application/json", new byte[0], head);
        } else if (blob.getFileName().toString().equals(image.layerBlob().hex()) && stall.get() && !head) {
          sendHalfAndStall(exchange, Files.readAllBytes(blob));
        } else {
          send(exchange, 200, "application/octet-stream", Files.readAllBytes(blob), head);
        }
      } else {
        send(exchange, 404, "application/json", new byte[0], head);
      }
    }
  }

  private void sendHalfAndStall(HttpExchange exchange, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
    exchange.sendResponseHeaders(200, body.length);
    OutputStream out = exchange.getResponseBody();
    out.write(body, 0, body.length / 2);
    out.flush();
    stalled.countDown();
    try {
      while (!closed.await(10, TimeUnit.MILLISECONDS)) {
        if (released.await(10, TimeUnit.MILLISECONDS)) {
          out.write(body, body.length / 2, body.length - body.length / 2);
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body, boolean head)
      throws IOException {
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
  }
}
