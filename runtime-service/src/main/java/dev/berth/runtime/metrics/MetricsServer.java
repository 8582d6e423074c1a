package dev.berth.runtime.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
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
  private final ScrapeBuffer buffer;

  private MetricsServer(HttpServer server, ExecutorService executor, ScrapeBuffer buffer) {
    this.server = server;
    this.executor = executor;
    this.buffer = buffer;
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
    return new MetricsServer(server, executor, buffer);
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
        long plainSize;
        try {
          plainSize = buffer.scrape();
        } catch (RuntimeException | IOException e) {
          log.warn("scrape failed: {}", e.toString());
          exchange.sendResponseHeaders(500, -1);
          return;
        }
        boolean gzip = acceptsGzip(exchange.getRequestHeaders().get("Accept-Encoding"));
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        if (gzip) {
          exchange.getResponseHeaders().set("Content-Encoding", "gzip");
        }
        exchange.getResponseHeaders().set("Vary", "Accept-Encoding");
        exchange.sendResponseHeaders(200, head ? -1 : gzip ? buffer.size() : plainSize);
        if (!head) {
          try (OutputStream out = exchange.getResponseBody()) {
            if (gzip) {
              buffer.writeTo(out);
            } else {
              buffer.inflateTo(out);
            }
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
   * One buffer for every scrape, kept between them, holding the scrape gzip-compressed as it is
   * written. With 100 pods a scrape is ~2.6 MB of text; a new array (or String) of that size per
   * scrape skips the young generation, and the old one filled with them until the heap was at its
   * maximum (daemon RSS 176 -> 296 MB). Streaming the body instead (chunked) halved the scrape's
   * speed in the JDK's server. Keeping the plain text held a 4 MB array for good; the compressed
   * scrape is ~10x smaller, and a scraper that refuses gzip (rare: Prometheus always accepts it)
   * gets it inflated on the way out, with its length counted while it was written. Scrapes are a
   * few a minute, so they take turns.
   */
  private static final class ScrapeBuffer extends ByteArrayOutputStream {
    private static final int CHUNK = 64 * 1024;
    private final ReentrantLock lock = new ReentrantLock();
    private final PrometheusMeterRegistry registry;
    private final List<Section> sections;

    ScrapeBuffer(PrometheusMeterRegistry registry, List<Section> sections) {
      super(CHUNK);
      this.registry = registry;
      this.sections = sections;
    }

    /** Scrapes the registry and the sections into this buffer, compressed; returns the plain length. */
    long scrape() throws IOException {
      reset();
      try (OutputStream gzip = new BufferedOutputStream(new FastGzip(this), CHUNK)) {
        PlainText text = new PlainText(gzip);
        registry.scrape(text);
        for (Section section : sections) {
          section.writeTo(text);
        }
        return text.written;
      }
    }

    int capacity() {
      return buf.length;
    }

    void inflateTo(OutputStream out) throws IOException {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(buf, 0, count), CHUNK)) {
        in.transferTo(out);
      }
    }
  }

  /** Counts the plain bytes on their way to the compressor; the writers it is lent to never close it. */
  private static final class PlainText extends FilterOutputStream {
    private long written;

    PlainText(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      written++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      written += len;
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  /** The bytes the server holds between scrapes: the buffer's capacity. */
  int retainedBytes() {
    buffer.lock.lock();
    try {
      return buffer.capacity();
    } finally {
      buffer.lock.unlock();
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
