package dev.berth.runtime.stream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test client for the streaming server speaking SPDY/3.1 as kubectl and crictl do, with
 * Netty's SPDY framing: an HTTP upgrade, then one client-initiated stream per stream type.
 */
final class SpdyTestClient implements AutoCloseable {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Map<Integer, ByteArrayOutputStream> received = new ConcurrentHashMap<>();
  private final Map<Integer, CompletableFuture<byte[]>> ended = new ConcurrentHashMap<>();
  private final CompletableFuture<FullHttpResponse> upgraded = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final AtomicInteger nextStream = new AtomicInteger(1);
  private Channel channel;

  /** Sends the upgrade request; returns the HTTP status (101 on success). */
  int connect(String url, List<String> protocols) throws Exception {
    URI uri = URI.create(url);
    channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("http", new HttpClientCodec())
                .addLast("agg", new HttpObjectAggregator(65536))
                .addLast("upgrade", new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    FullHttpResponse response = (FullHttpResponse) msg;
                    if (response.status().code() == 101) {
                      ctx.pipeline().addAfter("upgrade", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
                      ctx.pipeline().addAfter("spdy", "frames", new Frames());
                      ctx.pipeline().remove("agg");
                      ctx.pipeline().remove("http");
                      ctx.pipeline().remove(this);
                    }
                    upgraded.complete(response.retainedDuplicate());
                    ReferenceCountUtil.release(response);
                  }
                });
          }
        })
        .connect(uri.getHost(), uri.getPort()).sync().channel();
    channel.closeFuture().addListener(f -> closed.complete(null));
    DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri.getRawPath());
    request.headers().set(HttpHeaderNames.HOST, uri.getHost() + ":" + uri.getPort())
        .set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "SPDY/3.1")
        .set(HttpHeaderNames.CONTENT_LENGTH, 0);
    for (String protocol : protocols) {
      request.headers().add(StreamRouter.PROTOCOL_HEADER, protocol);
    }
    channel.writeAndFlush(request).sync();
    FullHttpResponse response = upgraded.get(10, TimeUnit.SECONDS);
    int status = response.status().code();
    response.release();
    return status;
  }

  /** Opens a stream with these headers; returns its id. */
  int open(Map<String, String> headers) throws Exception {
    int id = nextStream.getAndAdd(2);
    received.put(id, new ByteArrayOutputStream());
    ended.put(id, new CompletableFuture<>());
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
    headers.forEach((name, value) -> syn.headers().set(name, value));
    channel.writeAndFlush(syn).sync();
    return id;
  }

  int open(String streamType) throws Exception {
    return open(Map.of("streamtype", streamType));
  }

  void send(int stream, String text) throws Exception {
    channel.writeAndFlush(new DefaultSpdyDataFrame(stream, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8))).sync();
  }

  /** Sends one data frame and waits until it is written to the socket (as TCP lets it). */
  void send(int stream, byte[] bytes) throws Exception {
    channel.writeAndFlush(new DefaultSpdyDataFrame(stream, Unpooled.wrappedBuffer(bytes))).sync();
  }

  /**
   * Reads nothing more from the server, as a client that stopped reading would. Auto-read off
   * alone is not enough: the SPDY codec asks for reads itself.
   */
  void stopReading() throws Exception {
    channel.eventLoop().submit(() -> {
      channel.config().setAutoRead(false);
      channel.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
        @Override
        public void read(ChannelHandlerContext ctx) {
          // Withheld.
        }
      });
    }).sync();
  }

  void finish(int stream) throws Exception {
    channel.writeAndFlush(new DefaultSpdyDataFrame(stream).setLast(true)).sync();
  }

  /** Everything the stream carried once the server ended it. */
  String awaitEnd(int stream, Duration timeout) throws Exception {
    return new String(ended.get(stream).get(timeout.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8);
  }

  /** Waits until the stream has carried text containing {@code expected}. */
  String awaitText(int stream, String expected, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = text(stream);
      if (text.contains(expected)) {
        return text;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("stream " + stream + " never carried '" + expected + "', only '" + text(stream) + "'");
  }

  String text(int stream) {
    ByteArrayOutputStream out = received.get(stream);
    synchronized (out) {
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  boolean awaitClosed(Duration timeout) {
    try {
      closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private final class Frames extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof SpdyDataFrame data) {
          ByteArrayOutputStream out = received.get(data.streamId());
          if (out != null) {
            ByteBuf content = data.content();
            synchronized (out) {
              out.writeBytes(ByteBufUtil.getBytes(content));
            }
            if (data.isLast()) {
              synchronized (out) {
                ended.get(data.streamId()).complete(out.toByteArray());
              }
            }
          }
        } else if (msg instanceof SpdySynReplyFrame) {
          // Accepted.
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      ended.values().forEach(f -> f.completeExceptionally(new IllegalStateException("connection closed")));
    }
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
