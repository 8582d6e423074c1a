package dev.berth.runtime.server;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC over a unix socket. Netty's epoll transport does the socket I/O on two small event loops;
 * the calls themselves run on virtual threads because most of them block on files and processes
 * (a unary call moves there once, at its half-close: {@link HandlerOffload}), except the few
 * read-only calls in {@link #ON_EVENT_LOOP}.
 */
public final class CriServer {

  private static final Logger log = LoggerFactory.getLogger(CriServer.class);

  /**
   * Calls answered on the event loop that read them, without a hop to a virtual thread. They read
   * only the in-memory indexes (no file, process, lock or network), so they never block, and they
   * are what the kubelet's relist sends by the hundred: ListPodSandbox, ListContainers and a
   * Status call per pod and per container. Each hop to a virtual thread costs grpc-java one or
   * more executor submissions (method lookup, then each listener event) and a wake-up of a
   * carrier thread, and the reply is handed back to the event loop: on a loaded 2-core host that
   * was most of a ~0.8 ms ContainerStatus. Everything not listed here keeps its virtual thread.
   */
  static final Set<String> ON_EVENT_LOOP = Set.of(
      RuntimeServiceGrpc.getVersionMethod().getFullMethodName(),
      RuntimeServiceGrpc.getListPodSandboxMethod().getFullMethodName(),
      RuntimeServiceGrpc.getPodSandboxStatusMethod().getFullMethodName(),
      RuntimeServiceGrpc.getListContainersMethod().getFullMethodName(),
      RuntimeServiceGrpc.getContainerStatusMethod().getFullMethodName());

  private final Path socket;
  private final Server server;
  private final EpollEventLoopGroup boss;
  private final EpollEventLoopGroup workers;
  private final ExecutorService callExecutor;

  private CriServer(Path socket, Server server, EpollEventLoopGroup boss, EpollEventLoopGroup workers,
      ExecutorService callExecutor) {
    this.socket = socket;
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.callExecutor = callExecutor;
  }

  /**
   * Loads Netty's native epoll transport, which it unpacks from its jar into a temporary file on
   * first use, after Netty's platform probes (on Java 25 its direct-memory cleaner links libc's
   * allocator through the FFM API, and it reads the JVM's arguments through the management beans);
   * any thread may call this ahead of {@link #start} to take that off the start's path. A NIO
   * transport would not spare it: grpc-netty's NettyServerBuilder loads the epoll library itself
   * whenever it is on the class path, and the streaming server needs it.
   */
  static void loadTransport() {
    Epoll.isAvailable();
  }

  /** Binds the socket (mode 0660) and starts serving {@code services}. */
  public static CriServer start(Path socket, List<BindableService> services) throws IOException {
    return start(socket, services, List.of());
  }

  /** As {@link #start(Path, List)}, with more interceptors (metrics) around every call. */
  public static CriServer start(Path socket, List<BindableService> services,
      List<io.grpc.ServerInterceptor> interceptors) throws IOException {
    return start(socket, StartupGate.openOn(services), interceptors);
  }

  /**
   * Binds the socket and serves through {@code gate}: before it opens, Version answers and every
   * other call waits on a virtual thread of its own, whatever {@link #ON_EVENT_LOOP} says.
   */
  static CriServer start(Path socket, StartupGate gate, List<io.grpc.ServerInterceptor> interceptors)
      throws IOException {
    SocketFile.prepare(socket);
    EpollEventLoopGroup boss = new EpollEventLoopGroup(1);
    EpollEventLoopGroup workers = new EpollEventLoopGroup(2);
    ExecutorService callExecutor = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("cri-call-", 0).factory());
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        // The default executor only runs grpc's method lookup, inline on the event loop. The
        // supplier keeps the calls of ON_EVENT_LOOP there, and the start of every other unary
        // call, whose handler HandlerOffload moves to a virtual thread at its half-close; the
        // streaming calls, and every call while the daemon starts, get virtual threads at once.
        .directExecutor()
        .callExecutor(new ServerCallExecutorSupplier() {
          @Override
          public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
            return gate.isOpen() && (ON_EVENT_LOOP.contains(call.getMethodDescriptor().getFullMethodName())
                || HandlerOffload.startsOnEventLoop(call)) ? null : callExecutor;
          }
        })
        .maxInboundMessageSize(CriClient.MAX_MESSAGE_BYTES)
        .intercept(new CallLoggingInterceptor());
    interceptors.forEach(builder::intercept);
    // Last, so outermost: every interceptor's listener runs where the handler runs.
    builder.intercept(new HandlerOffload(callExecutor, ON_EVENT_LOOP));
    builder.fallbackHandlerRegistry(gate);
    Server server = builder.build();
    try {
      server.start();
      SocketFile.restrict(socket);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      callExecutor.shutdownNow();
      throw e;
    }
    return new CriServer(socket, server, boss, workers, callExecutor);
  }

  public Path socket() {
    return socket;
  }

  /**
   * Stops taking calls at once, lets calls in flight finish for up to {@code grace}, then cancels
   * what is left. Returns true when nothing had to be cancelled.
   */
  public boolean stop(Duration grace) throws InterruptedException {
    server.shutdown();
    boolean drained = server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
    if (!drained) {
      log.warn("calls still running after {} s; cancelling them", grace.toSeconds());
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    callExecutor.shutdown();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    return drained;
  }
}
