package dev.berth.runtime.server;

import dev.berth.cri.client.CriClient;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC over a unix socket. Netty's epoll transport does the socket I/O on two small event loops;
 * the calls themselves run on virtual threads because most of them block on files and processes.
 */
public final class CriServer {

  private static final Logger log = LoggerFactory.getLogger(CriServer.class);

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

  /** Binds the socket (mode 0660) and starts serving {@code services}. */
  public static CriServer start(Path socket, List<BindableService> services) throws IOException {
    return start(socket, services, List.of());
  }

  /** As {@link #start(Path, List)}, with more interceptors (metrics) around every call. */
  public static CriServer start(Path socket, List<BindableService> services,
      List<io.grpc.ServerInterceptor> interceptors) throws IOException {
    SocketFile.prepare(socket);
    EpollEventLoopGroup boss = new EpollEventLoopGroup(1);
    EpollEventLoopGroup workers = new EpollEventLoopGroup(2);
    ExecutorService callExecutor = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("cri-call-", 0).factory());
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .executor(callExecutor)
        .maxInboundMessageSize(CriClient.MAX_MESSAGE_BYTES)
        .intercept(new CallLoggingInterceptor());
    interceptors.forEach(builder::intercept);
    services.forEach(builder::addService);
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
