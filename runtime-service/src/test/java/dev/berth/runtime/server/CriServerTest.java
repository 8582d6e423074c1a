package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.RuntimeConfigRequest;
import dev.berth.cri.v1.RuntimeConfigResponse;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.RuntimeStatus;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StatusResponse;
import dev.berth.cri.v1.UpdateRuntimeConfigRequest;
import dev.berth.cri.v1.UpdateRuntimeConfigResponse;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.runtime.testing.ShortTempDirs;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRI server's transport through a real unix socket, without a daemon: clients of both kinds
 * of unix socket a JVM has (Netty's epoll, as Berth's CLI, tests and benchmark connect, and the
 * JDK's own, as a client without Netty's native library connects), the socket file's mode, its
 * removal, stale and served socket files, parallel connections and the kubelet's message size.
 */
@Timeout(60)
class CriServerTest {

  @TempDir(factory = ShortTempDirs.class)
  Path dir;

  private final List<AutoCloseable> opened = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : opened.reversed()) {
      closeable.close();
    }
  }

  @Test
  void anEpollClientAndAnNioClientAreAnsweredOnTheSameSocket() throws Exception {
    Path socket = dir.resolve("cri.sock");
    start(socket);

    assertEquals("test-runtime", RuntimeServiceGrpc.newBlockingStub(epollChannel(socket))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());
    assertEquals("test-runtime", RuntimeServiceGrpc.newBlockingStub(nioChannel(socket))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());
  }

  @Test
  void theSocketIsForOwnerAndGroupInADirectoryBerthMadePrivate() throws Exception {
    Path socket = dir.resolve("made/cri.sock");
    start(socket);

    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
  }

  @Test
  void stopRemovesTheSocketFile() throws Exception {
    Path socket = dir.resolve("cri.sock");
    CriServer server = CriServer.start(socket, List.of(new TestRuntime()));
    assertTrue(Files.exists(socket));

    assertTrue(server.stop(Duration.ofSeconds(5)));

    assertFalse(Files.exists(socket), "socket file left after stop");
  }

  @Test
  void aStaleSocketFileIsReplacedAndAServedOneIsRefused() throws Exception {
    Path stale = dir.resolve("stale.sock");
    // A socket file nobody listens on any more, as a killed daemon leaves it.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(stale));
    }
    assertTrue(Files.exists(stale));
    start(stale);
    assertEquals("test-runtime", RuntimeServiceGrpc.newBlockingStub(nioChannel(stale))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());

    IOException refused = assertThrows(IOException.class, () -> CriServer.start(stale, List.of(new TestRuntime())));
    assertTrue(refused.getMessage().contains("already served"), refused.getMessage());
    assertTrue(Files.exists(stale), "the served socket must stay");
  }

  @Test
  void manyConnectionsWithCallsInParallelAreAllAnswered() throws Exception {
    Path socket = dir.resolve("cri.sock");
    start(socket);
    ExecutorService callers = Executors.newFixedThreadPool(8);
    opened.add(callers::shutdownNow);
    List<Future<Integer>> answered = new ArrayList<>();
    for (int connection = 0; connection < 8; connection++) {
      ManagedChannel channel = connection % 2 == 0 ? nioChannel(socket) : epollChannel(socket);
      answered.add(callers.submit(() -> {
        int count = 0;
        for (int call = 0; call < 50; call++) {
          VersionResponse response = RuntimeServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(20, TimeUnit.SECONDS).version(VersionRequest.newBuilder().setVersion("v" + call).build());
          if (response.getVersion().equals("v" + call)) {
            count++;
          }
        }
        return count;
      }));
    }
    for (Future<Integer> connection : answered) {
      assertEquals(50, connection.get(40, TimeUnit.SECONDS));
    }
  }

  @Test
  void aMessageOfTwelveMebibytesCrossesTheSocket() throws Exception {
    Path socket = dir.resolve("cri.sock");
    TestRuntime runtime = start(socket);
    String big = "x".repeat(12 * 1024 * 1024);

    RuntimeServiceGrpc.newBlockingStub(nioChannel(socket)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .withMaxOutboundMessageSize(CriClient.MAX_MESSAGE_BYTES)
        .updateRuntimeConfig(UpdateRuntimeConfigRequest.newBuilder()
            .setRuntimeConfig(dev.berth.cri.v1.RuntimeConfig.newBuilder()
                .setNetworkConfig(dev.berth.cri.v1.NetworkConfig.newBuilder().setPodCidr(big)))
            .build());

    assertEquals(big.length(), runtime.podCidrLength.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aUnaryCallsHandlerRunsOnAVirtualThreadWithTheCallsDeadline() throws Exception {
    Path socket = dir.resolve("cri.sock");
    TestRuntime runtime = start(socket);

    RuntimeServiceGrpc.newBlockingStub(epollChannel(socket)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .status(StatusRequest.getDefaultInstance());

    StatusSeen seen = runtime.statusSeen.get(10, TimeUnit.SECONDS);
    assertTrue(seen.onVirtualThread(), "the handler ran on " + seen.thread());
    assertTrue(seen.hadDeadline(), "the handler saw no deadline in its context");
  }

  @Test
  void aHandlerThatBlocksHoldsUpNoOtherCallOfItsConnection() throws Exception {
    Path socket = dir.resolve("cri.sock");
    TestRuntime runtime = start(socket);
    ManagedChannel channel = epollChannel(socket);
    runtime.statusMayAnswer = new CompletableFuture<>();

    var status = RuntimeServiceGrpc.newFutureStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .status(StatusRequest.getDefaultInstance());
    runtime.statusSeen.get(10, TimeUnit.SECONDS);
    // The status handler is blocked now; the same connection's event loop still answers.
    assertEquals("test-runtime", RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());
    assertFalse(status.isDone());
    runtime.statusMayAnswer.complete(null);

    assertTrue(status.get(10, TimeUnit.SECONDS).hasStatus());
  }

  @Test
  void aHandlerThatThrowsEndsItsCallWithUnknown() throws Exception {
    Path socket = dir.resolve("cri.sock");
    start(socket);

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        RuntimeServiceGrpc.newBlockingStub(epollChannel(socket)).withDeadlineAfter(30, TimeUnit.SECONDS)
            .runtimeConfig(RuntimeConfigRequest.getDefaultInstance()));

    assertEquals(io.grpc.Status.Code.UNKNOWN, e.getStatus().getCode());
  }

  private TestRuntime start(Path socket) throws IOException {
    TestRuntime runtime = new TestRuntime();
    CriServer server = CriServer.start(socket, List.of(runtime));
    opened.add(() -> server.stop(Duration.ofSeconds(5)));
    return runtime;
  }

  /** Berth's own client (its CLI, tests and benchmark): Netty's epoll domain sockets. */
  private ManagedChannel epollChannel(Path socket) {
    CriClient client = CriClient.connect(socket);
    opened.add(client);
    return client.channel();
  }

  /** A client on the JDK's domain sockets, as a client without Netty's native library connects. */
  private ManagedChannel nioChannel(Path socket) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ManagedChannel channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
        .eventLoopGroup(group)
        .channelType(NioDomainSocketChannel.class)
        .usePlaintext()
        .maxInboundMessageSize(CriClient.MAX_MESSAGE_BYTES)
        .build();
    opened.add(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS));
    opened.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  private record StatusSeen(String thread, boolean onVirtualThread, boolean hadDeadline) {}

  /**
   * Version echoes the requested version; UpdateRuntimeConfig records how big its pod CIDR was;
   * Status records where it ran, then waits for {@code statusMayAnswer} when a test sets one;
   * RuntimeConfig throws.
   */
  private static final class TestRuntime extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    final CompletableFuture<Integer> podCidrLength = new CompletableFuture<>();
    final CompletableFuture<StatusSeen> statusSeen = new CompletableFuture<>();
    volatile CompletableFuture<Void> statusMayAnswer = CompletableFuture.completedFuture(null);

    @Override
    public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> response) {
      throw new IllegalStateException("a handler's own bug");
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
      Thread thread = Thread.currentThread();
      statusSeen.complete(new StatusSeen(thread.toString(), thread.isVirtual(), Context.current().getDeadline() != null));
      statusMayAnswer.join();
      response.onNext(StatusResponse.newBuilder().setStatus(RuntimeStatus.getDefaultInstance()).build());
      response.onCompleted();
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
      response.onNext(VersionResponse.newBuilder().setRuntimeName("test-runtime").setVersion(request.getVersion()).build());
      response.onCompleted();
    }

    @Override
    public void updateRuntimeConfig(UpdateRuntimeConfigRequest request,
        StreamObserver<UpdateRuntimeConfigResponse> response) {
      podCidrLength.complete(request.getRuntimeConfig().getNetworkConfig().getPodCidr().length());
      response.onNext(UpdateRuntimeConfigResponse.getDefaultInstance());
      response.onCompleted();
    }
  }
}
