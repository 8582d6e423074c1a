package dev.berth.runtime.server;

import io.grpc.BindableService;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The CRI socket's methods while the daemon is still starting: it serves before its recovery
 * has finished, so that a fresh node's first Version is answered as soon as the socket is bound.
 * The methods that need nothing of the node's state (Version) answer at once; every other known
 * method waits, on its own virtual thread, until the services are open, so that no List* call
 * ever sees a partial list and no Status reports a probe not yet made. A start that fails ends
 * the waiting calls with UNAVAILABLE.
 */
final class StartupGate extends HandlerRegistry {

  private final Map<String, ServerMethodDefinition<?, ?>> early = new HashMap<>();
  private final Map<String, MethodDescriptor<?, ?>> known = new HashMap<>();
  private final CompletableFuture<Map<String, ServerMethodDefinition<?, ?>>> open = new CompletableFuture<>();

  /**
   * {@code services}: the descriptors of every service the socket will serve; {@code early}: the
   * definitions that may answer before the services open.
   */
  StartupGate(List<ServiceDescriptor> services, List<ServerMethodDefinition<?, ?>> early) {
    services.forEach(service -> service.getMethods().forEach(method -> known.put(method.getFullMethodName(), method)));
    early.forEach(method -> this.early.put(method.getMethodDescriptor().getFullMethodName(), method));
  }

  /** A gate already open on {@code services}. */
  static StartupGate openOn(List<BindableService> services) {
    StartupGate gate = new StartupGate(List.of(), List.of());
    gate.open(services);
    return gate;
  }

  /** From now on every call goes to {@code services}; the calls that waited go there too. */
  void open(List<BindableService> services) {
    Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
    for (BindableService service : services) {
      ServerServiceDefinition definition = service.bindService();
      definition.getMethods().forEach(method -> methods.put(method.getMethodDescriptor().getFullMethodName(), method));
    }
    open.complete(Map.copyOf(methods));
  }

  /** The start failed: the calls that waited, and any later one, end with UNAVAILABLE. */
  void fail(Throwable cause) {
    open.completeExceptionally(cause);
  }

  /** Whether calls go straight to the services (and may run on the event loop). */
  boolean isOpen() {
    return open.isDone() && !open.isCompletedExceptionally();
  }

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    if (isOpen()) {
      return open.join().get(methodName);
    }
    ServerMethodDefinition<?, ?> answersNow = early.get(methodName);
    if (answersNow != null) {
      return answersNow;
    }
    MethodDescriptor<?, ?> method = known.get(methodName);
    return method == null ? null : waiting(method);
  }

  private <Q, R> ServerMethodDefinition<Q, R> waiting(MethodDescriptor<Q, R> method) {
    return ServerMethodDefinition.create(method, new WaitingHandler<>());
  }

  /** Runs on the call's virtual thread (see CriServer's executor choice), never on the event loop. */
  private final class WaitingHandler<Q, R> implements ServerCallHandler<Q, R> {
    @Override
    @SuppressWarnings("unchecked")
    public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
      Map<String, ServerMethodDefinition<?, ?>> methods;
      try {
        methods = open.join();
      } catch (CompletionException e) {
        call.close(Status.UNAVAILABLE.withDescription("berth did not finish starting: " + e.getCause()), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      ServerMethodDefinition<Q, R> target =
          (ServerMethodDefinition<Q, R>) methods.get(call.getMethodDescriptor().getFullMethodName());
      if (target == null) {
        call.close(Status.UNIMPLEMENTED.withDescription(call.getMethodDescriptor().getFullMethodName()), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return target.getServerCallHandler().startCall(call, headers);
    }
  }
}
