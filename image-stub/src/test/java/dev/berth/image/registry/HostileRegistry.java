package dev.berth.image.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.store.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A registry on a free loopback port (plain HTTP) that answers as a hostile or broken one would:
 * each manifest, blob and the token endpoint is a {@link Body} chosen by the test (endless,
 * dribbled a byte at a time, stalled, cut short, or plain). It records, per path, how many
 * requests came, how many bytes it sent and whether the client closed the connection on it,
 * which is how a test sees that a download was stopped rather than abandoned.
 */
public final class HostileRegistry implements AutoCloseable {

  public static final String REPOSITORY = "hostile/app";

  private final HttpServer server;
  private final ExecutorService executor;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final Map<String, Served> manifests = new ConcurrentHashMap<>();
  private final Map<String, Served> blobs = new ConcurrentHashMap<>();
  private volatile Served token;

  private HostileRegistry(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static HostileRegistry start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread thread = new Thread(r, "hostile-registry");
      thread.setDaemon(true);
      return thread;
    });
    HostileRegistry registry = new HostileRegistry(server, executor);
    server.createContext("/", registry::handle);
    server.setExecutor(executor);
    server.start();
    return registry;
  }

  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** {@code host()/hostile/app:tag}. */
  public String reference(String tag) {
    return host() + "/" + REPOSITORY + ":" + tag;
  }

  /** Serves the manifest for a tag (or digest). */
  public Served manifest(String tagOrDigest, Body body) {
    Served served = new Served(MediaTypes.OCI_MANIFEST, body);
    manifests.put(tagOrDigest, served);
    return served;
  }

  public Served blob(Digest digest, Body body) {
    Served served = new Served("application/octet-stream", body);
    blobs.put(digest.toString(), served);
    return served;
  }

  /** From now on every /v2/ request needs a bearer token, which the token endpoint answers with body. */
  public Served requireToken(Body body) {
    token = new Served("application/json", body);
    return token;
  }

  /** An OCI manifest naming the config and layers, each as (digest, declared size). */
  public static byte[] manifestJson(Digest config, long configSize, List<Map.Entry<Digest, Long>> layers) {
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + config + "\",\"size\":"
        + configSize + "},\"layers\":[");
    for (int i = 0; i < layers.size(); i++) {
      json.append(i > 0 ? "," : "").append("{\"mediaType\":\"").append(MediaTypes.OCI_LAYER)
          .append("\",\"digest\":\"").append(layers.get(i).getKey()).append("\",\"size\":")
          .append(layers.get(i).getValue()).append('}');
    }
    return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A config of an image without layers, padded with a label to at least {@code size} bytes. */
  public static byte[] configJson(int size) {
    String head = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
        + "\"config\":{\"User\":\"65534\",\"Cmd\":[\"sh\"],\"Labels\":{\"padding\":\"";
    String tail = "\"}}}";
    return (head + "p".repeat(Math.max(0, size - head.length() - tail.length())) + tail)
        .getBytes(StandardCharsets.UTF_8);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Served tokenServed = token;
      if (path.equals("/token") && tokenServed != null) {
        tokenServed.serve(exchange, closing);
        return;
      }
      if (tokenServed != null && !"Bearer ok".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.getResponseHeaders().add("WWW-Authenticate",
            "Bearer realm=\"http://" + host() + "/token\",service=\"hostile\"");
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      String prefix = "/v2/" + REPOSITORY + "/";
      Served served = null;
      if (path.startsWith(prefix + "manifests/")) {
        served = manifests.get(path.substring((prefix + "manifests/").length()));
      } else if (path.startsWith(prefix + "blobs/")) {
        served = blobs.get(path.substring((prefix + "blobs/").length()));
      } else if (path.equals("/v2/")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      if (served == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      served.serve(exchange, closing);
    }
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  /** One path's answer and what happened to it. */
  public static final class Served {
    private final String contentType;
    private volatile Body body;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private final CountDownLatch clientClosed = new CountDownLatch(1);
    private final CountDownLatch started = new CountDownLatch(1);

    Served(String contentType, Body body) {
      this.contentType = contentType;
      this.body = body;
    }

    /** Answers later requests with another body (a registry that recovered). */
    public void answerWith(Body next) {
      body = next;
    }

    public int requests() {
      return requests.get();
    }

    /** Bytes of body sent so far, over all requests. */
    public long bytesSent() {
      return sent.get();
    }

    /** Waits until a request for this path has begun receiving its body. */
    public boolean awaitStarted(Duration timeout) throws InterruptedException {
      return started.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the client closed a connection while this body was being sent. */
    public boolean awaitClientClosed(Duration timeout) throws InterruptedException {
      return clientClosed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean clientClosed() {
      return clientClosed.getCount() == 0;
    }

    void serve(HttpExchange exchange, CountDownLatch closing) throws IOException {
      requests.incrementAndGet();
      exchange.getResponseHeaders().add("Content-Type", contentType);
      Body current = body;
      long length = current.contentLength();
      exchange.sendResponseHeaders(200, length < 0 ? 0 : length == 0 ? -1 : length);
      started.countDown();
      OutputStream out = exchange.getResponseBody();
      try {
        current.write(new Sink(out, sent), closing);
        out.flush();
      } catch (IOException e) {
        clientClosed.countDown(); // broken pipe or reset: the client has gone
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Where a body writes; counts what it wrote. */
  public record Sink(OutputStream out, AtomicLong sent) {
    public void write(byte[] bytes, int off, int len) throws IOException {
      out.write(bytes, off, len);
      out.flush();
      sent.addAndGet(len);
    }
  }

  /** A body as a registry sends it. */
  public interface Body {

    /** The Content-Length to announce; -1 for chunked (no length announced). */
    long contentLength();

    void write(Sink sink, CountDownLatch closing) throws IOException, InterruptedException;

    /** The bytes, with their true length. */
    static Body of(byte[] bytes) {
      return announcing(bytes, bytes.length);
    }

    /** The bytes, announcing a length of the test's choosing. */
    static Body announcing(byte[] bytes, long length) {
      return new Body() {
        @Override
        public long contentLength() {
          return length;
        }

        @Override
        public void write(Sink sink, CountDownLatch closing) throws IOException {
          sink.write(bytes, 0, bytes.length);
        }
      };
    }

    /** {@code prefix} then {@code fill} bytes up to {@code total}, chunked, in 64 KiB writes. */
    static Body endless(String prefix, byte fill, long total) {
      return new Body() {
        @Override
        public long contentLength() {
          return -1;
        }

        @Override
        public void write(Sink sink, CountDownLatch closing) throws IOException {
          byte[] head = prefix.getBytes(StandardCharsets.UTF_8);
          sink.write(head, 0, head.length);
          byte[] chunk = new byte[64 * 1024];
          Arrays.fill(chunk, fill);
          for (long left = total - head.length; left > 0 && closing.getCount() > 0; left -= chunk.length) {
            sink.write(chunk, 0, (int) Math.min(chunk.length, left));
          }
        }
      };
    }

    /** The bytes one at a time, {@code interval} apart, chunked. */
    static Body dribbled(byte[] bytes, Duration interval) {
      return new Body() {
        @Override
        public long contentLength() {
          return -1;
        }

        @Override
        public void write(Sink sink, CountDownLatch closing) throws IOException, InterruptedException {
          for (int i = 0; i < bytes.length; i++) {
            sink.write(bytes, i, 1);
            if (closing.await(interval.toMillis(), TimeUnit.MILLISECONDS)) {
              return;
            }
          }
        }
      };
    }

    /** The first {@code sent} bytes, then nothing until the registry closes. */
    static Body stalledAfter(byte[] bytes, int sent) {
      return new Body() {
        @Override
        public long contentLength() {
          return bytes.length;
        }

        @Override
        public void write(Sink sink, CountDownLatch closing) throws IOException, InterruptedException {
          sink.write(bytes, 0, sent);
          closing.await();
        }
      };
    }

    /** The first {@code sent} bytes, then the end of the body (chunked, so nothing announced it). */
    static Body cutAfter(byte[] bytes, int sent) {
      return new Body() {
        @Override
        public long contentLength() {
          return -1;
        }

        @Override
        public void write(Sink sink, CountDownLatch closing) throws IOException {
          sink.write(bytes, 0, sent);
        }
      };
    }
  }
}
