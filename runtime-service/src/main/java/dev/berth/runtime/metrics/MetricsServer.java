package dev.berth.runtime.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET /metrics in the Prometheus text format (0.0.4) on a TCP address: the JDK's HTTP server on
 * virtual threads, because one endpoint needs no web framework.
 */
public final class MetricsServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException("metrics server cannot listen on " + address + " (metrics_address): " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("metrics-", 0).factory());
    server.setExecutor(executor);
    ScrapeBuffer buffer = new ScrapeBuffer(registry);
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
        } catch (RuntimeException e) {
          log.warn("scrape failed: {}", e.toString());
          exchange.sendResponseHeaders(500, -1);
          return;
        }
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(200, head ? -1 : buffer.size());
        if (!head) {
          try (OutputStream out = exchange.getResponseBody()) {
            buffer.writeTo(out);
          }
        }
      } finally {
        buffer.lock.unlock();
      }
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

    ScrapeBuffer(PrometheusMeterRegistry registry) {
      super(256 * 1024);
      this.registry = registry;
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
