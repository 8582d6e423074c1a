package dev.berth.runtime.server;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a unary call from the event loop to a virtual thread once, at its half-close, where
 * grpc-java invokes the handler. grpc-java would otherwise start the call (interceptors) on one
 * virtual thread and, when the request's message and half-close came after that thread had
 * finished, run them on another: the pod-start calls took two hops, the second on the critical
 * path, before the handler ran (debug log of `bin/bench-compare --only-berth -- --workloads
 * pod-start`, loaded 2-core host: the handler began 0.5-9 ms after the call started, on a
 * second virtual thread; a Status round trip, p50 0.87 -> 0.68 ms, bench/README.md, 2026-12-07
 * 14:05). The call's start and its message are cheap and never block (lookups,
 * counters, parsing a small message), so they stay on the event loop that read them.
 *
 * <p>The listener's events keep grpc's order: those before the half-close run on the event loop
 * as they arrive; the half-close and every event after it (ready, cancel, complete) go, in order,
 * to one sequential executor of the call, on the daemon's call executor, each in the call's
 * {@link Context} (deadline, cancellation).
 *
 * <p>Installed outermost, so that every interceptor's listener runs where the handler runs.
 * Calls already on a virtual thread (the {@link CriServer} executor choice sent them there: not
 * unary, or the daemon still starting) and the calls meant for the event loop pass through.
 */
final class HandlerOffload implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(HandlerOffload.class);

  private final Executor callExecutor;
  private final Set<String> onEventLoop;

  HandlerOffload(Executor callExecutor, Set<String> onEventLoop) {
    this.callExecutor = callExecutor;
    this.onEventLoop = onEventLoop;
  }

  /** Whether the call may start on the event loop: unary, so its handler runs only at half-close. */
  static boolean startsOnEventLoop(ServerCall<?, ?> call) {
    return call.getMethodDescriptor().getType() == MethodType.UNARY;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> listener = next.startCall(call, headers);
    if (Thread.currentThread().isVirtual() || onEventLoop.contains(call.getMethodDescriptor().getFullMethodName())) {
      return listener;
    }
    return new Offloaded<>(listener, call, MoreExecutors.newSequentialExecutor(callExecutor));
  }

  /** The listener whose half-close, and everything after it, runs on the call's sequential executor. */
  private static final class Offloaded<Q> extends SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, ?> call;
    private final Executor sequential;
    // Set on the event loop at half-close, before any later event is delivered (grpc delivers a
    // call's transport events one at a time, from the call's event loop).
    private boolean halfClosed;

    Offloaded(ServerCall.Listener<Q> delegate, ServerCall<Q, ?> call, Executor sequential) {
      super(delegate);
      this.call = call;
      this.sequential = sequential;
    }

    @Override
    public void onHalfClose() {
      halfClosed = true;
      sequential.execute(Context.current().wrap(this::invokeHandler));
    }

    /**
     * A handler that throws ends its call with UNKNOWN, as grpc-java ends it when the handler runs
     * on grpc's own executor; the caller would otherwise wait for an answer until its deadline.
     */
    private void invokeHandler() {
      try {
        super.onHalfClose();
      } catch (RuntimeException | Error e) {
        log.error("the handler of {} threw", call.getMethodDescriptor().getBareMethodName(), e);
        try {
          call.close(Status.UNKNOWN.withDescription("Application error processing RPC").withCause(e), new Metadata());
        } catch (IllegalStateException alreadyClosed) {
          // The handler had answered before it threw: the caller has its answer.
        }
        if (e instanceof Error error) {
          throw error;
        }
      }
    }

    @Override
    public void onReady() {
      run(super::onReady);
    }

    @Override
    public void onCancel() {
      run(super::onCancel);
    }

    @Override
    public void onComplete() {
      run(super::onComplete);
    }

    private void run(Runnable event) {
      if (halfClosed) {
        sequential.execute(Context.current().wrap(event));
      } else {
        event.run();
      }
    }
  }
}
