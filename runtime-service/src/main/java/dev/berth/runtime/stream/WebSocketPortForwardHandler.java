package dev.berth.runtime.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes port forward protocol over WebSocket channels: one forwarded connection per
 * port in the request, port {@code i} on channels {@code 2i} (data, both ways) and
 * {@code 2i+1} (errors, server to client). Each channel's first message is the port number,
 * two bytes little-endian. The connection ends once every port's connection has ended.
 *
 * <p>Flow control follows the pod: while a port has too much of the client's data waiting,
 * nothing more is read from the client's connection; the ports are read only while the client's
 * connection takes what it is sent.
 */
final class WebSocketPortForwardHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(WebSocketPortForwardHandler.class);

  private final PortConnection.Opener opener;
  private final List<Integer> ports;
  private final PortConnection[] connections;
  private ChannelHandlerContext ctx;
  private ClientReadGate gate;
  private int ended;

  WebSocketPortForwardHandler(PortConnection.Opener opener, List<Integer> ports) {
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("no ports to forward");
    }
    this.opener = opener;
    this.ports = List.copyOf(ports);
    this.connections = new PortConnection[ports.size()];
  }

  static byte[] portBytes(int port) {
    return new byte[] {(byte) port, (byte) (port >> 8)};
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.gate = ClientReadGate.of(ctx);
    for (int i = 0; i < ports.size(); i++) {
      int port = ports.get(i);
      ctx.write(new ChannelMessage(2 * i, portBytes(port)));
      ctx.write(new ChannelMessage(2 * i + 1, portBytes(port)));
    }
    ctx.flush();
    for (int i = 0; i < ports.size(); i++) {
      connections[i] = opener.open(ports.get(i), clientOf(i));
      connections[i].readFromPort(ctx.channel().isWritable());
    }
  }

  private PortConnection.Client clientOf(int index) {
    return new PortConnection.Client() {
      @Override
      public void data(ByteBuf bytes) {
        try {
          if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new ChannelMessage(2 * index, ByteBufUtil.getBytes(bytes)));
          }
        } finally {
          bytes.release();
        }
      }

      @Override
      public void consumed(int bytes) {
        readClientWhileThePortsKeepUp();
      }

      @Override
      public void end() {
        if (++ended == ports.size() && ctx.channel().isActive()) {
          ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
              .addListener(ChannelFutureListener.CLOSE);
        }
      }

      @Override
      public void error(String message) {
        log.info("{}", message);
        if (ctx.channel().isActive()) {
          ctx.writeAndFlush(new ChannelMessage(2 * index + 1, message.getBytes(StandardCharsets.UTF_8)));
        }
      }
    };
  }

  /** Reads from the client again once no port has too much of its data waiting. */
  private void readClientWhileThePortsKeepUp() {
    if (gate.isShut()) {
      for (PortConnection connection : connections) {
        if (connection != null && !connection.writable()) {
          return;
        }
      }
      gate.open();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    for (PortConnection connection : connections) {
      if (connection != null) {
        connection.readFromPort(ctx.channel().isWritable());
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ChannelMessage message)) {
      ctx.fireChannelRead(msg);
      return;
    }
    int index = message.channel() / 2;
    if (message.channel() % 2 != 0 || index >= connections.length) {
      log.debug("port forward client {} wrote to channel {}, which the server does not read",
          ctx.channel().remoteAddress(), message.channel());
      return;
    }
    if (message.data().length > 0) {
      connections[index].write(Unpooled.wrappedBuffer(message.data()));
      if (!connections[index].writable()) {
        gate.shut();
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    for (PortConnection connection : connections) {
      if (connection != null) {
        connection.close();
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("port forward connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
