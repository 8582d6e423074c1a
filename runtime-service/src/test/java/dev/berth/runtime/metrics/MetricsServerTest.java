package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The endpoint's HTTP side, with a registry of its own: methods, status, type and the body. */
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
  void getAnswersEverySeriesOfALargeRegistry() throws Exception {
    // ~1 MB of text: far more than the scrape buffer starts with.
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
  void betweenScrapesTheServerHoldsTheCompressedScrapeNotThePlainText() throws Exception {
    IntStream.range(0, 20_000).forEach(i ->
        Counter.builder("berth_test_series_total").tag("index", Integer.toString(i)).register(registry).increment(i));

    HttpResponse<String> plain = http.send(HttpRequest.newBuilder(uri).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    long plainBytes = plain.body().getBytes(StandardCharsets.UTF_8).length;
    assertEquals(plainBytes, Long.parseLong(plain.headers().firstValue("Content-Length").orElse("-1")));
    assertTrue(plainBytes > 800_000, "a large scrape: " + plainBytes);
    // Repeated label text compresses ~10x; a quarter leaves room for the buffer's doubling.
    assertTrue(server.retainedBytes() < plainBytes / 4,
        "held " + server.retainedBytes() + " bytes for a scrape of " + plainBytes);
  }

  @Test
  void aScrapeShowsOnlyWhatIsRegisteredNowNotWhatAnEarlierOneWrote() throws Exception {
    IntStream.range(0, 2000).forEach(i ->
        Counter.builder("berth_test_gone_total").tag("index", Integer.toString(i)).register(registry).increment());
    String first = get();
    registry.clear();
    Counter.builder("berth_test_kept_total").register(registry).increment(7);

    String second = get();

    assertTrue(first.contains("berth_test_gone_total{index=\"1999\"}"), "first scrape complete");
    assertTrue(second.contains("berth_test_kept_total 7.0"), second);
    assertFalse(second.contains("berth_test_gone_total"), "the buffer kept an earlier scrape's series");
    assertTrue(second.length() < 1000, "second scrape is small: " + second.length());
  }

  private String get() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  @Test
  void sectionsFollowTheRegistryAndGzipIsUsedOnlyWhenAccepted() throws Exception {
    server.close();
    Counter.builder("berth_test_first_total").register(registry).increment(3);
    server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry,
        out -> out.write("# TYPE section_gauge gauge\nsection_gauge 5\n".getBytes(StandardCharsets.UTF_8)));
    uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");

    HttpResponse<byte[]> zipped = http.send(HttpRequest.newBuilder(uri).header("Accept-Encoding", "gzip").build(),
        HttpResponse.BodyHandlers.ofByteArray());
    String plain = get();

    assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
    String unzipped;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
      unzipped = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(plain, unzipped);
    assertTrue(plain.indexOf("berth_test_first_total 3.0") < plain.indexOf("section_gauge 5"), plain);
    assertTrue(plain.endsWith("section_gauge 5\n"), plain);
  }

  @Test
  void acceptEncodingIsReadAsHttpDefinesIt() {
    assertTrue(MetricsServer.acceptsGzip(List.of("gzip")));
    assertTrue(MetricsServer.acceptsGzip(List.of("deflate, GZIP;q=0.5")));
    assertTrue(MetricsServer.acceptsGzip(List.of("*")));
    assertFalse(MetricsServer.acceptsGzip(null));
    assertFalse(MetricsServer.acceptsGzip(List.of("identity")));
    assertFalse(MetricsServer.acceptsGzip(List.of("gzip;q=0")));
    assertFalse(MetricsServer.acceptsGzip(List.of("gzip; q=0.0, identity")));
    assertFalse(MetricsServer.acceptsGzip(List.of("x-gzip2")));
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
