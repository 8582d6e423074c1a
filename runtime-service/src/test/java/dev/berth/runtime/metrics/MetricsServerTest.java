package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The endpoint's HTTP side, with a registry of its own: methods, status, type and a streamed body. */
class MetricsServerTest {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient http = HttpClient.newHttpClient();
  private MetricsServer server;
  private URI uri;

  @BeforeEach
  void start() throws Exception {
    server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry);
    uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
  }

  @AfterEach
  void stop() {
    server.close();
    http.close();
  }

  @Test
  void getStreamsEverySeriesOfALargeRegistry() throws Exception {
    // Big enough to span many chunks of the streamed body (~1 MB of text).
    IntStream.range(0, 5000).forEach(i ->
        Counter.builder("berth_test_series_total").tag("index", Integer.toString(i)).register(registry).increment(i));

    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    long lines = response.body().lines().filter(line -> line.startsWith("berth_test_series_total{")).count();
    assertEquals(5000, lines);
    assertTrue(response.body().contains("berth_test_series_total{index=\"4999\"} 4999.0"), "last series present");
  }

  @Test
  void headAnswersWithoutABodyAndOtherMethodsAreRefused() throws Exception {
    HttpResponse<String> head = http.send(HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("x"))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals(405, post.statusCode());
  }
}
