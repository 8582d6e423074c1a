package dev.berth.runtime.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdyWindowUpdateFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes port forward protocol over SPDY: for each forwarded connection the client opens
 * an error stream and a data stream carrying the same {@code requestID} and {@code port}; once
 * both are open a connection to the port is opened. Up to {@link #MAX_STREAMS} streams share one
 * SPDY connection; more are refused.
 *
 * <p>Flow control follows the pod: a data stream's window is granted back only as the port's
 * socket takes the bytes, and while a port lags behind, nothing more is read from the client's
 * connection (a client that ignores windows, as spdystream does, is held back by TCP itself).
 * The ports are read only while the client's connection takes what it is sent.
 */
final class SpdyPortForwardHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(SpdyPortForwardHandler.class);
  /** Open streams (two per forwarded connection) one SPDY connection may have. */
  static final int MAX_STREAMS = 256;
  /** The SPDY/3.1 session: window updates on stream 0 grant the connection as a whole. */
  private static final int SESSION = 0;

  private final PortConnection.Opener opener;
  private final Map<String, Pair> pairs = new HashMap<>();
  private final Map<Integer, Pair> byStream = new HashMap<>();
  private ChannelHandlerContext ctx;
  private ClientReadGate gate;

  private static final class Pair {
    final int port;
    Integer errorStream;
    Integer dataStream;
    PortConnection connection;
    boolean ended;

    Pair(int port) {
      this.port = port;
    }
  }

  SpdyPortForwardHandler(PortConnection.Opener opener) {
    this.opener = opener;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.gate = ClientReadGate.of(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      switch (msg) {
        case SpdySynStreamFrame syn -> opened(syn);
        case SpdyDataFrame data -> received(data);
        case SpdyRstStreamFrame rst -> reset(rst.streamId());
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
    if (byStream.size() >= MAX_STREAMS) {
      log.info("port forward client {} opened stream {} beyond the limit of {} open streams; refused",
          ctx.channel().remoteAddress(), syn.streamId(), MAX_STREAMS);
      ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(syn.streamId(), SpdyStreamStatus.REFUSED_STREAM));
      return;
    }
    Pair pair = pairs.computeIfAbsent(requestId, id -> new Pair(port));
    switch (type == null ? "" : type) {
      case "error" -> pair.errorStream = syn.streamId();
      case "data" -> pair.dataStream = syn.streamId();
      default -> throw new StreamProtocolException("stream " + syn.streamId() + " has unknown stream type " + type);
    }
    byStream.put(syn.streamId(), pair);
    ctx.writeAndFlush(SpdyRemoteCommandHandler.reply(syn.streamId(), type));
    if (pair.errorStream != null && pair.dataStream != null && pair.connection == null) {
      pairs.remove(requestId);
      pair.connection = opener.open(pair.port, clientOf(pair));
      pair.connection.readFromPort(ctx.channel().isWritable());
    }
  }

  private PortConnection.Client clientOf(Pair pair) {
    return new PortConnection.Client() {
      @Override
      public void data(ByteBuf bytes) {
        if (pair.ended || !ctx.channel().isActive()) {
          bytes.release();
          return;
        }
        ctx.writeAndFlush(new DefaultSpdyDataFrame(pair.dataStream, bytes));
      }

      @Override
      public void consumed(int bytes) {
        if (!pair.ended && ctx.channel().isActive()) {
          ctx.write(new DefaultSpdyWindowUpdateFrame(pair.dataStream, bytes));
          ctx.writeAndFlush(new DefaultSpdyWindowUpdateFrame(SESSION, bytes));
        }
        readClientWhileThePortsKeepUp();
      }

      @Override
      public void end() {
        if (pair.ended) {
          return;
        }
        forget(pair);
        if (ctx.channel().isActive()) {
          ctx.write(new DefaultSpdyDataFrame(pair.dataStream).setLast(true));
          ctx.writeAndFlush(new DefaultSpdyDataFrame(pair.errorStream).setLast(true));
        }
      }

      @Override
      public void error(String message) {
        log.info("{}", message);
        if (!pair.ended && ctx.channel().isActive()) {
          ctx.writeAndFlush(new DefaultSpdyDataFrame(pair.errorStream,
              Unpooled.wrappedBuffer(message.getBytes(StandardCharsets.UTF_8))));
        }
      }
    };
  }

  /** The client reset a stream: its forwarded connection ends without another word. */
  private void reset(int streamId) {
    Pair pair = byStream.get(streamId);
    if (pair != null && !pair.ended) {
      pairs.values().remove(pair);
      forget(pair);
    }
  }

  private void forget(Pair pair) {
    pair.ended = true;
    byStream.remove(pair.dataStream);
    byStream.remove(pair.errorStream);
    if (pair.connection != null) {
      pair.connection.close();
    }
    readClientWhileThePortsKeepUp();
  }

  private void received(SpdyDataFrame data) {
    Pair pair = byStream.get(data.streamId());
    if (pair == null || pair.connection == null || data.streamId() != pair.dataStream) {
      return;
    }
    if (data.content().isReadable()) {
      pair.connection.write(data.content().retain());
      if (!pair.connection.writable()) {
        gate.shut();
      }
    }
    if (data.isLast()) {
      pair.connection.closeInput();
    }
  }

  /** Reads from the client again once no port has too much of its data waiting. */
  private void readClientWhileThePortsKeepUp() {
    if (!gate.isShut()) {
      return;
    }
    boolean keepUp = byStream.values().stream().allMatch(p -> p.connection == null || p.connection.writable());
    if (keepUp) {
      gate.open();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = ctx.channel().isWritable();
    byStream.values().stream().distinct().filter(p -> p.connection != null)
        .forEach(p -> p.connection.readFromPort(writable));
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    byStream.values().stream().distinct().filter(p -> p.connection != null).forEach(p -> p.connection.close());
    byStream.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("port forward connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
