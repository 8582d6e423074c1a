package dev.berth.runtime.stream;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes port forward protocol over SPDY: for each forwarded connection the client opens
 * an error stream and a data stream carrying the same {@code requestID} and {@code port}; once
 * both are open a bridge connects to the port. Any number of connections share one SPDY
 * connection.
 */
final class SpdyPortForwardHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(SpdyPortForwardHandler.class);

  private final PortDialer dialer;
  private final Optional<Path> netns;
  private final String podId;
  private final Map<String, Pair> pairs = new HashMap<>();
  private final Map<Integer, Pair> byStream = new HashMap<>();
  private ChannelHandlerContext ctx;

  private final class Pair {
    final int port;
    Integer errorStream;
    Integer dataStream;
    PortForwardBridge bridge;

    Pair(int port) {
      this.port = port;
    }
  }

  SpdyPortForwardHandler(PortDialer dialer, Optional<Path> netns, String podId) {
    this.dialer = dialer;
    this.netns = netns;
    this.podId = podId;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      switch (msg) {
        case SpdySynStreamFrame syn -> opened(syn);
        case SpdyDataFrame data -> received(data);
        case SpdyRstStreamFrame rst -> {
          Pair pair = byStream.get(rst.streamId());
          if (pair != null && pair.bridge != null) {
            pair.bridge.close();
          }
        }
        default -> { }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void opened(SpdySynStreamFrame syn) {
    String type = syn.headers().getAsString(SpdyRemoteCommandHandler.STREAM_TYPE);
    String portText = syn.headers().getAsString("port");
    String requestId = syn.headers().getAsString("requestid");
    if (requestId == null) {
      // Clients before requestID paired the streams by id: error stream first, data right after.
      requestId = Integer.toString("error".equals(type) ? syn.streamId() : syn.streamId() - 2);
    }
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new StreamProtocolException("stream " + syn.streamId() + " has invalid port " + portText);
    }
    if (port < 1 || port > 65535) {
      throw new StreamProtocolException("stream " + syn.streamId() + " has invalid port " + portText);
    }
    Pair pair = pairs.computeIfAbsent(requestId, id -> new Pair(port));
    switch (type == null ? "" : type) {
      case "error" -> pair.errorStream = syn.streamId();
      case "data" -> pair.dataStream = syn.streamId();
      default -> throw new StreamProtocolException("stream " + syn.streamId() + " has unknown stream type " + type);
    }
    byStream.put(syn.streamId(), pair);
    ctx.writeAndFlush(SpdyRemoteCommandHandler.reply(syn.streamId(), type));
    if (pair.errorStream != null && pair.dataStream != null && pair.bridge == null) {
      pairs.remove(requestId);
      pair.bridge = new PortForwardBridge(dialer, netns, podId, pair.port, clientOf(pair));
    }
  }

  private PortForwardBridge.Client clientOf(Pair pair) {
    return new PortForwardBridge.Client() {
      @Override
      public void data(byte[] bytes) {
        ctx.executor().execute(() -> ctx.writeAndFlush(new DefaultSpdyDataFrame(pair.dataStream, Unpooled.wrappedBuffer(bytes))));
      }

      @Override
      public void end() {
        ctx.executor().execute(() -> {
          if (!ctx.channel().isActive()) {
            return;
          }
          ctx.write(new DefaultSpdyDataFrame(pair.dataStream).setLast(true));
          ctx.writeAndFlush(new DefaultSpdyDataFrame(pair.errorStream).setLast(true));
          byStream.remove(pair.dataStream);
          byStream.remove(pair.errorStream);
        });
      }

      @Override
      public void error(String message) {
        log.info("{}", message);
        ctx.executor().execute(() -> ctx.writeAndFlush(new DefaultSpdyDataFrame(pair.errorStream,
            Unpooled.wrappedBuffer(message.getBytes(StandardCharsets.UTF_8)))));
      }
    };
  }

  private void received(SpdyDataFrame data) {
    Pair pair = byStream.get(data.streamId());
    if (pair == null || pair.bridge == null || data.streamId() != pair.dataStream) {
      return;
    }
    if (data.content().isReadable()) {
      pair.bridge.write(ByteBufUtil.getBytes(data.content()));
    }
    if (data.isLast()) {
      pair.bridge.closeInput();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    byStream.values().stream().distinct().filter(p -> p.bridge != null).forEach(p -> p.bridge.close());
    byStream.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("port forward connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
