package dev.berth.runtime.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    server.createContext("/metrics", exchange -> serve(exchange, registry));
    server.start();
    log.info("serving Prometheus metrics on http://{}/metrics", address.getHostString() + ":"
        + server.getAddress().getPort());
    return new MetricsServer(server, executor);
  }

  private static void serve(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
    try (exchange) {
      boolean head = exchange.getRequestMethod().equals("HEAD");
      if (!exchange.getRequestMethod().equals("GET") && !head) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (head) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      // Streamed, not built as one array first: with 100 pods a scrape is ~2 MB of text, and
      // arrays that large skip the young generation, so each scrape left megabytes of garbage
      // in the old one and the heap grew to its maximum (daemon RSS 176 -> 296 MB).
      ResponseBody body = new ResponseBody(exchange);
      try {
        registry.scrape(body);
      } catch (RuntimeException e) {
        log.warn("scrape failed: {}", e.toString());
        if (!body.committed) {
          exchange.sendResponseHeaders(500, -1);
        }
        // Once the body has begun, the client sees it cut off instead.
        return;
      }
      body.close();
    }
  }

  /**
   * The response body, with the 200 status sent at the first byte (chunked): the scrape collects
   * every metric before it writes any, so a collection failure can still answer 500.
   */
  private static final class ResponseBody extends OutputStream {
    private static final int BUFFER_BYTES = 64 * 1024;
    private final HttpExchange exchange;
    private OutputStream out;
    private boolean committed;

    ResponseBody(HttpExchange exchange) {
      this.exchange = exchange;
    }

    private OutputStream out() throws IOException {
      if (!committed) {
        exchange.sendResponseHeaders(200, 0);
        out = new BufferedOutputStream(exchange.getResponseBody(), BUFFER_BYTES);
        committed = true;
      }
      return out;
    }

    @Override
    public void write(int b) throws IOException {
      out().write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out().write(bytes, offset, length);
    }

    @Override
    public void flush() throws IOException {
      out().flush();
    }

    @Override
    public void close() throws IOException {
      out().close();
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
