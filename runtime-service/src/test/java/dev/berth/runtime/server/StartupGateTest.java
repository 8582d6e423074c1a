package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.ListPodSandboxResponse;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The CRI socket's methods while the daemon starts, without a socket: lookups and handlers alone. */
class StartupGateTest {

  private static final String VERSION = RuntimeServiceGrpc.getVersionMethod().getFullMethodName();
  private static final String LIST_PODS = RuntimeServiceGrpc.getListPodSandboxMethod().getFullMethodName();

  private final ServerMethodDefinition<VersionRequest, VersionResponse> earlyVersion = ServerMethodDefinition.create(
      RuntimeServiceGrpc.getVersionMethod(), ServerCalls.asyncUnaryCall((request, response) -> { }));
  private final StartupGate gate = new StartupGate(List.of(RuntimeServiceGrpc.getServiceDescriptor()),
      List.of(earlyVersion));

  @Test
  void beforeItOpensVersionAnswersAtOnceAndUnknownMethodsAreUnimplemented() {
    assertFalse(gate.isOpen());
    assertSame(earlyVersion, gate.lookupMethod(VERSION, null));
    assertNull(gate.lookupMethod("runtime.v1.RuntimeService/NoSuchCall", null));
  }

  @Test
  void aListCallThatArrivesBeforeTheServicesOpenRunsOnlyOnceTheyAre() throws Exception {
    AtomicBoolean served = new AtomicBoolean();
    ServerMethodDefinition<?, ?> waiting = gate.lookupMethod(LIST_PODS, null);
    FakeCall<ListPodSandboxRequest, ListPodSandboxResponse> call = new FakeCall<>(RuntimeServiceGrpc.getListPodSandboxMethod());
    Thread caller = Thread.ofVirtual().start(() -> start(waiting, call));

    assertFalse(served.get(), "nothing may be served before the services open");
    gate.open(List.of(listPods(served)));
    caller.join();

    assertTrue(served.get());
    assertTrue(gate.isOpen());
    assertEquals(listPods(served).bindService().getMethod(LIST_PODS).getMethodDescriptor(),
        gate.lookupMethod(LIST_PODS, null).getMethodDescriptor());
    assertNull(call.closedWith.get(), "the real handler answers, not the gate");
  }

  @Test
  void aStartThatFailsEndsTheWaitingCallsWithUnavailable() throws Exception {
    ServerMethodDefinition<?, ?> waiting = gate.lookupMethod(LIST_PODS, null);
    FakeCall<ListPodSandboxRequest, ListPodSandboxResponse> call = new FakeCall<>(RuntimeServiceGrpc.getListPodSandboxMethod());
    Thread caller = Thread.ofVirtual().start(() -> start(waiting, call));

    gate.fail(new IOException("root is locked"));
    caller.join();

    assertEquals(Status.Code.UNAVAILABLE, call.closedWith.get().getCode());
    assertTrue(call.closedWith.get().getDescription().contains("root is locked"), call.closedWith.get().toString());
    assertFalse(gate.isOpen());
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> void start(ServerMethodDefinition<?, ?> method, FakeCall<Q, R> call) {
    ((ServerCallHandler<Q, R>) method.getServerCallHandler()).startCall(call, new Metadata());
  }

  /** A RuntimeService whose ListPodSandbox notes that it ran. */
  private static BindableService listPods(AtomicBoolean served) {
    return () -> ServerServiceDefinition.builder(RuntimeServiceGrpc.getServiceDescriptor().getName())
        .addMethod(RuntimeServiceGrpc.getListPodSandboxMethod(),
            (ServerCallHandler<ListPodSandboxRequest, ListPodSandboxResponse>) (call, headers) -> {
              served.set(true);
              return new ServerCall.Listener<>() {};
            })
        .build();
  }

  private static final class FakeCall<Q, R> extends ServerCall<Q, R> {
    final AtomicReference<Status> closedWith = new AtomicReference<>();
    private final MethodDescriptor<Q, R> method;

    FakeCall(MethodDescriptor<Q, R> method) {
      this.method = method;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(R message) {}

    @Override
    public void close(Status status, Metadata trailers) {
      closedWith.set(status);
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
