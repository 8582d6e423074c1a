package dev.berth.runtime.stream;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level part of WebSocket: answer pings, drop pongs, and on the client's close
 * echo its close frame and end the connection. Data messages go on to the channel codec.
 */
final class WebSocketControlHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(WebSocketControlHandler.class);

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    switch (msg) {
      case PingWebSocketFrame ping -> ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
      case PongWebSocketFrame pong -> pong.release();
      case CloseWebSocketFrame close -> {
        if (ctx.channel().isActive()) {
          ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
        } else {
          close.release();
        }
      }
      default -> ctx.fireChannelRead(msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("streaming connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
