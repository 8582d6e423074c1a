package dev.berth.runtime.stream;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming server that Exec, Attach and PortForward hand out URLs for: plain HTTP (no TLS,
 * loopback by default, as with containerd and CRI-O: the kubelet on the same node proxies to
 * it), one single-use token per URL. Epoll, because port forwards register sockets made in pods'
 * network namespaces on the event loop of the client's connection. A connection that has not
 * upgraded by its handshake deadline, or that is idle for the idle timeout, is closed.
 */
public final class StreamingServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamingServer.class);
  static final String HTTP_CODEC = "http-codec";
  static final String HTTP_AGGREGATOR = "http-aggregator";

  private final EventLoopGroup group;
  private final Channel channel;
  private final StreamTokens tokens;
  private final String baseUrl;

  private StreamingServer(EventLoopGroup group, Channel channel, StreamTokens tokens) {
    this.group = group;
    this.channel = channel;
    this.tokens = tokens;
    InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
    String host = bound.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    this.baseUrl = "http://" + host + ":" + bound.getPort();
  }

  public static StreamingServer start(InetSocketAddress address, Duration tokenTtl, StreamTimeouts timeouts,
      StreamRuntime runtime, PortDialer dialer) throws IOException {
    StreamTokens tokens = new StreamTokens(tokenTtl);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    try {
      Channel channel = new ServerBootstrap()
          .group(group)
          .channel(EpollServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline()
                  .addLast("idle", new IdleStateHandler(0, 0, timeouts.idle().toNanos(), TimeUnit.NANOSECONDS))
                  .addLast("idle-closer", new IdleConnectionCloser())
                  .addLast(HandshakeDeadline.NAME, new HandshakeDeadline(timeouts.handshake()))
                  .addLast(HTTP_CODEC, new HttpServerCodec())
                  .addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(64 * 1024))
                  .addLast("router", new StreamRouter(tokens, runtime, dialer));
            }
          })
          .bind(address).sync().channel();
      StreamingServer server = new StreamingServer(group, channel, tokens);
      log.info("streaming server listening on {}", server.baseUrl);
      return server;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
      throw new IOException("interrupted while binding " + address, e);
    } catch (Exception e) {
      // Netty rethrows the bind's own IOException (address in use) unchecked from sync().
      group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
      throw new IOException("streaming server cannot listen on " + address + " (streaming_address): "
          + e.getMessage(), e);
    }
  }

  /** A URL for the request, good once within the token time to live. */
  public String url(StreamRequest request) {
    return baseUrl + "/" + request.kind() + "/" + tokens.issue(request);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
