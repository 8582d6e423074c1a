package dev.berth.bench.workload;

import dev.berth.bench.BenchOptions;
import dev.berth.bench.Target;
import dev.berth.bench.report.Recorder;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** scrape: a Prometheus-style GET of the runtime's metrics endpoint while N pods run. */
public final class Scrape {

  public static final String NAME = "scrape";

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
    // One connection reused, as Prometheus keeps one per target.
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpRequest request = HttpRequest.newBuilder(target.metrics()).timeout(Duration.ofSeconds(30))
          .header("Accept", "text/plain;version=0.0.4").GET().build();
      for (int i = 0; i < options.scrapes(); i++) {
        long start = System.nanoTime();
        HttpResponse<byte[]> response;
        try {
          response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
          recorder.skip(target.name(), NAME, "scrape", "metrics endpoint unreachable: " + e);
          return;
        }
        long nanos = System.nanoTime() - start;
        if (response.statusCode() != 200) {
          recorder.skip(target.name(), NAME, "scrape", "metrics endpoint answered HTTP " + response.statusCode());
          return;
        }
        recorder.addNanos(target.name(), NAME, "GET with " + fleet.pods().size() + " pods", nanos);
        recorder.add(target.name(), NAME, "body size", "KB", response.body().length / 1024.0);
      }
    }
  }
}
