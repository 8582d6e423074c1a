package dev.berth.runtime.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET /metrics in the Prometheus text format (0.0.4) on a TCP address: the JDK's HTTP server on
 * virtual threads, because one endpoint needs no web framework. The body is the registry's scrape
 * followed by each {@link Section}; gzip-compressed when the scraper accepts gzip (Prometheus
 * always does), which makes it several times smaller.
 */
public final class MetricsServer implements AutoCloseable {

  /** Families written after the registry's, in the text format. */
  @FunctionalInterface
  public interface Section {
    void writeTo(OutputStream out) throws IOException;
  }

  private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Section... sections)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException("metrics server cannot listen on " + address + " (metrics_address): " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("metrics-", 0).factory());
    server.setExecutor(executor);
    ScrapeBuffer buffer = new ScrapeBuffer(registry, List.of(sections));
    server.createContext("/metrics", exchange -> serve(exchange, buffer));
    server.start();
    log.info("serving Prometheus metrics on http://{}/metrics", address.getHostString() + ":"
        + server.getAddress().getPort());
    return new MetricsServer(server, executor);
  }

  private static void serve(HttpExchange exchange, ScrapeBuffer buffer) throws IOException {
    try (exchange) {
      boolean head = exchange.getRequestMethod().equals("HEAD");
      if (!exchange.getRequestMethod().equals("GET") && !head) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      buffer.lock.lock();
      try {
        buffer.reset();
        try {
          buffer.registry.scrape(buffer);
          for (Section section : buffer.sections) {
            section.writeTo(buffer);
          }
        } catch (RuntimeException | IOException e) {
          log.warn("scrape failed: {}", e.toString());
          exchange.sendResponseHeaders(500, -1);
          return;
        }
        ByteArrayOutputStream body = buffer;
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        if (acceptsGzip(exchange.getRequestHeaders().get("Accept-Encoding"))) {
          buffer.compressed.reset();
          try (GZIPOutputStream gzip = new FastGzip(buffer.compressed)) {
            buffer.writeTo(gzip);
          }
          body = buffer.compressed;
          exchange.getResponseHeaders().set("Content-Encoding", "gzip");
        }
        exchange.getResponseHeaders().set("Vary", "Accept-Encoding");
        exchange.sendResponseHeaders(200, head ? -1 : body.size());
        if (!head) {
          try (OutputStream out = exchange.getResponseBody()) {
            body.writeTo(out);
          }
        }
      } finally {
        buffer.lock.unlock();
      }
    }
  }

  /** Whether an Accept-Encoding header list names gzip (or *) without q=0. */
  static boolean acceptsGzip(List<String> headers) {
    if (headers == null) {
      return false;
    }
    for (String header : headers) {
      for (String coding : header.split(",")) {
        String[] parts = coding.split(";");
        String name = parts[0].trim();
        if (!name.equalsIgnoreCase("gzip") && !name.equals("*")) {
          continue;
        }
        boolean refused = false;
        for (int i = 1; i < parts.length; i++) {
          String parameter = parts[i].trim().replace(" ", "");
          if (parameter.startsWith("q=")) {
            try {
              refused = Double.parseDouble(parameter.substring(2)) <= 0;
            } catch (NumberFormatException malformed) {
              refused = true;
            }
          }
        }
        if (!refused) {
          return true;
        }
      }
    }
    return false;
  }

  /** Level 1: a scrape is mostly repeated label text, which compresses ~10x even at the fastest level. */
  private static final class FastGzip extends GZIPOutputStream {
    FastGzip(OutputStream out) throws IOException {
      super(out, 64 * 1024);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }

  /**
   * One buffer for every scrape, kept between them. With 100 pods a scrape is ~2 MB of text; a
   * new array (or String) of that size per scrape skips the young generation, and the old one
   * filled with them until the heap was at its maximum (daemon RSS 176 -> 296 MB). Streaming the
   * body instead (chunked) halved the scrape's speed in the JDK's server. Scrapes are a few a
   * minute, so they take turns.
   */
  private static final class ScrapeBuffer extends ByteArrayOutputStream {
    private final ReentrantLock lock = new ReentrantLock();
    private final PrometheusMeterRegistry registry;
    private final List<Section> sections;
    /** The gzip body, kept between scrapes for the same reason. */
    private final ByteArrayOutputStream compressed = new ByteArrayOutputStream(64 * 1024);

    ScrapeBuffer(PrometheusMeterRegistry registry, List<Section> sections) {
      super(256 * 1024);
      this.registry = registry;
      this.sections = sections;
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
