package dev.berth.bench.workload;

import dev.berth.bench.report.Recorder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.zip.GZIPInputStream;

/**
 * scrape: a Prometheus-style GET of the runtime's metrics endpoint while N pods run. Prometheus
 * scrapes forever, so the recorded GETs come after {@code warmupLoops} unrecorded ones (see
 * {@link WarmedLoop}); the first of those is recorded as "GET first with N pods", the cold cost.
 * Like Prometheus it accepts gzip: "body size" is what crossed the wire, "body size decoded" the
 * text.
 */
public final class Scrape {

  public static final String NAME = "scrape";

  /** Why the endpoint could not be scraped; ends the workload for this target with a skip line. */
  private static final class Unscrapable extends RuntimeException {
    Unscrapable(String reason) {
      super(reason, null, false, false);
    }
  }

  private record Get(long nanos, int bytes, long decodedBytes) {}

  private final BenchOptions options;
  private final Recorder recorder;
  private final Target target;

  public Scrape(BenchOptions options, Recorder recorder, Target target) {
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run(PodFleet fleet) throws InterruptedException {
    if (target.metrics() == null) {
      recorder.skip(target.name(), NAME, "scrape", "no metrics endpoint given (metrics=URL in --target)");
      return;
    }
    String pods = " with " + fleet.pods().size() + " pods";
    // One connection reused, as Prometheus keeps one per target.
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpRequest request = HttpRequest.newBuilder(target.metrics()).timeout(Duration.ofSeconds(30))
          .header("Accept", "text/plain;version=0.0.4").header("Accept-Encoding", "gzip").GET().build();
      WarmedLoop.run(options.warmupLoops(), options.scrapes(), () -> get(http, request),
          get -> recorder.addNanos(target.name(), NAME, "GET first" + pods, get.nanos()),
          get -> {
            recorder.addNanos(target.name(), NAME, "GET" + pods, get.nanos());
            recorder.add(target.name(), NAME, "body size", "KB", get.bytes() / 1024.0);
            recorder.add(target.name(), NAME, "body size decoded", "KB", get.decodedBytes() / 1024.0);
          });
    } catch (Unscrapable e) {
      recorder.skip(target.name(), NAME, "scrape", e.getMessage());
    }
  }

  private static Get get(HttpClient http, HttpRequest request) throws InterruptedException {
    long start = System.nanoTime();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new Unscrapable("metrics endpoint unreachable: " + e);
    }
    long nanos = System.nanoTime() - start;
    if (response.statusCode() != 200) {
      throw new Unscrapable("metrics endpoint answered HTTP " + response.statusCode());
    }
    return new Get(nanos, response.body().length, decodedLength(response));
  }

  private static long decodedLength(HttpResponse<byte[]> response) {
    if (!response.headers().firstValue("Content-Encoding").orElse("").equalsIgnoreCase("gzip")) {
      return response.body().length;
    }
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(response.body()))) {
      return in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new Unscrapable("metrics endpoint sent a broken gzip body: " + e);
    }
  }
}
