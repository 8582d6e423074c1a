package dev.berth.cri.client;

import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageServiceGrpc.ImageServiceBlockingStub;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A CRI client over a unix socket, as the kubelet and crictl connect. Berth's own CLI, tests and
 * benchmark use it; it hands out the generated stubs rather than wrapping every call.
 */
public final class CriClient implements AutoCloseable {

  /** The kubelet's limit for a CRI message; grpc-java's default of 4 MiB breaks big lists. */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final Path socket;
  private final EpollEventLoopGroup eventLoop;
  private final ManagedChannel channel;

  private CriClient(Path socket) {
    this.socket = socket;
    this.eventLoop = new EpollEventLoopGroup(1);
    this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .eventLoopGroup(eventLoop)
        .channelType(EpollDomainSocketChannel.class)
        .usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .build();
  }

  /** Connects lazily: the first call opens the socket. */
  public static CriClient connect(Path socket) {
    return new CriClient(socket);
  }

  public Path socket() {
    return socket;
  }

  public ManagedChannel channel() {
    return channel;
  }

  public RuntimeServiceBlockingStub runtime() {
    return RuntimeServiceGrpc.newBlockingStub(channel);
  }

  public RuntimeServiceBlockingStub runtime(Duration deadline) {
    return runtime().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  public ImageServiceBlockingStub images() {
    return ImageServiceGrpc.newBlockingStub(channel);
  }

  public ImageServiceBlockingStub images(Duration deadline) {
    return images().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
