package dev.berth.runtime.stream;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes remote command protocol over WebSocket channels: 0 stdin, 1 stdout, 2 stderr,
 * 3 error, 4 resize, all open from the start, so the bridge runs as soon as the handler is in
 * place. Like the kubelet it first sends an empty message on the lowest channel it will write
 * to, telling the client the command is starting. v5 adds the close signal (255) with which a
 * client ends stdin; before v5 stdin ends only with the connection.
 */
final class WebSocketRemoteCommandHandler extends ChannelInboundHandlerAdapter implements CommandOutput {
  private static final Logger log = LoggerFactory.getLogger(WebSocketRemoteCommandHandler.class);
  static final int STDIN = 0;
  static final int STDOUT = 1;
  static final int STDERR = 2;
  static final int ERROR = 3;
  static final int RESIZE = 4;

  private final RemoteCommandProtocol protocol;
  private final StreamRequest.Stdio stdio;
  private final Function<CommandOutput, CommandInput> bridges;
  private final ResizeDecoder resizes = new ResizeDecoder();
  private final WritableWait writable = new WritableWait();
  private final ClientReads reads = new ClientReads(PingWebSocketFrame::new);
  private ChannelHandlerContext ctx;
  private CommandInput input;
  private boolean stdinOpen;
  private boolean finished;

  WebSocketRemoteCommandHandler(RemoteCommandProtocol protocol, StreamRequest.Stdio stdio,
      Function<CommandOutput, CommandInput> bridges) {
    this.protocol = protocol;
    this.stdio = stdio;
    this.bridges = bridges;
    this.stdinOpen = stdio.stdin();
  }

  private boolean writesStderr() {
    return stdio.stderr() && !stdio.tty();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    int ready = stdio.stdout() ? STDOUT : writesStderr() ? STDERR : ERROR;
    ctx.writeAndFlush(new ChannelMessage(ready, new byte[0]));
    input = bridges.apply(this);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ChannelMessage message)) {
      ctx.fireChannelRead(msg);
      return;
    }
    switch (message.channel()) {
      case STDIN -> {
        if (stdinOpen && message.data().length > 0) {
          input.stdin(message.data());
        }
      }
      case RESIZE -> {
        if (stdio.tty()) {
          resizes.decode(message.data()).forEach(input::resize);
        }
      }
      case ChannelMessage.CLOSE -> {
        if (protocol.compareTo(RemoteCommandProtocol.V5) < 0) {
          throw new StreamProtocolException("close signal before " + RemoteCommandProtocol.V5.id());
        }
        if (message.data().length != 1) {
          throw new StreamProtocolException("close signal with " + message.data().length + " bytes, not one channel");
        }
        if (message.data()[0] == STDIN && stdinOpen) {
          stdinOpen = false;
          input.stdinClosed();
        }
      }
      default -> log.debug("streaming client {} wrote to channel {}, which the server does not read",
          ctx.channel().remoteAddress(), message.channel());
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    writable.changed();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    writable.changed();
    reads.stop();
    if (input != null) {
      input.clientGone();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof StreamProtocolException || cause.getCause() instanceof StreamProtocolException) {
      log.warn("streaming client {} broke the protocol: {}", ctx.channel().remoteAddress(), cause.getMessage());
      ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      log.warn("streaming connection from {} failed", ctx.channel().remoteAddress(), cause);
      ctx.close();
    }
  }

  @Override
  public void stdout(byte[] data) {
    if (stdio.stdout()) {
      send(STDOUT, data);
    }
  }

  @Override
  public void stderr(byte[] data) {
    // With a terminal stderr is merged into stdout by the terminal itself; nothing comes here.
    if (writesStderr()) {
      send(STDERR, data);
    }
  }

  private void send(int channel, byte[] data) {
    ctx.executor().execute(() -> {
      if (!finished) {
        ctx.writeAndFlush(new ChannelMessage(channel, data));
      }
    });
    writable.await(ctx.channel());
  }

  @Override
  public void acceptInput(boolean accept) {
    // Frames already decoded from the last read still arrive; no new bytes are read from the socket.
    reads.accept(ctx, accept);
  }

  @Override
  public void finish(CommandResult result) {
    ctx.executor().execute(() -> {
      if (finished) {
        return;
      }
      finished = true;
      byte[] status = protocol.status(result);
      if (status.length > 0) {
        ctx.write(new ChannelMessage(ERROR, status));
      }
      ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
          .addListener(ChannelFutureListener.CLOSE);
    });
  }
}
