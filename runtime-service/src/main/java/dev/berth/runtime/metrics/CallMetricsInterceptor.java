package dev.berth.runtime.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Times every gRPC call by method and status code (a latency histogram per pair), and counts
 * image pulls by outcome. Meters are looked up in a map, not built per call.
 */
public final class CallMetricsInterceptor implements ServerInterceptor {

  /**
   * The histogram's bucket bounds: a handful that separate a List call (well under 5 ms) from a
   * pod start (hundreds of ms) from a pull (seconds to minutes). Micrometer's default percentile
   * histogram has 94 buckets per method and code, two thirds of every scrape.
   */
  static final List<Duration> BUCKETS = List.of(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
      Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofMillis(2500), Duration.ofSeconds(10),
      Duration.ofSeconds(60));

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Status.Code, Counter> pulls = new ConcurrentHashMap<>();

  public CallMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
    // Every outcome's counter exists from the start at 0, so that increase() sees a node's first
    // pull of each outcome (a series that appears at 1 loses that event).
    for (Status.Code code : Status.Code.values()) {
      pulls.put(code, Counter.builder("berth.image.pulls").description("Image pulls by outcome (gRPC status code)")
          .tag("code", code.name()).register(registry));
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    long started = System.nanoTime();
    String method = call.getMethodDescriptor().getBareMethodName();
    ServerCall<Q, R> timed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        Status.Code code = status.getCode();
        timers.computeIfAbsent(method + "/" + code, key -> Timer.builder("berth.grpc.server.calls")
                .description("CRI and Berth gRPC calls by method and status code")
                .tag("method", method).tag("code", code.name())
                .serviceLevelObjectives(BUCKETS.toArray(Duration[]::new))
                .register(registry))
            .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (method.equals("PullImage")) {
          pulls.get(code).increment();
        }
        super.close(status, trailers);
      }
    };
    return next.startCall(timed, headers);
  }
}
