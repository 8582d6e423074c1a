package dev.berth.runtime.server;

import dev.berth.runtime.model.Printable;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs every CRI call with its latency at debug, and every failed call at warn with its code. */
public final class CallLoggingInterceptor implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger("dev.berth.cri.calls");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long started = System.nanoTime();
    String method = call.getMethodDescriptor().getBareMethodName();
    ServerCall<Q, R> logged = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        long micros = (System.nanoTime() - started) / 1_000;
        if (status.isOk()) {
          log.debug("{} ok in {} us", method, micros);
        } else {
          // Descriptions quote what callers sent: escaped, no caller can start a line of this log.
          String description = status.getDescription() == null ? "" : Printable.escapeControls(status.getDescription());
          log.warn("{} failed in {} us: {} {}", method, micros, status.getCode(), description);
        }
        super.close(status, trailers);
      }
    };
    return next.startCall(logged, headers);
  }
}
