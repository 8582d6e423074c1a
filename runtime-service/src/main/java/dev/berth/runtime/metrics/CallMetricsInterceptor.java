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
import java.util.concurrent.ConcurrentHashMap;

/**
 * Times every gRPC call by method and status code (a latency histogram per pair), and counts
 * image pulls by outcome. Meters are looked up in a map, not built per call.
 */
public final class CallMetricsInterceptor implements ServerInterceptor {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Status.Code, Counter> pulls = new ConcurrentHashMap<>();

  public CallMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
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
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(120))
                .register(registry))
            .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (method.equals("PullImage")) {
          pulls.computeIfAbsent(code, c -> Counter.builder("berth.image.pulls")
              .description("Image pulls by outcome (gRPC status code)").tag("code", c.name()).register(registry))
              .increment();
        }
        super.close(status, trailers);
      }
    };
    return next.startCall(timed, headers);
  }
}
