package dev.berth.runtime.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyWindowUpdateFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdySettingsFrame;
import io.netty.handler.codec.spdy.SpdyWindowUpdateFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level part of SPDY/3.1 as Kubernetes clients (spdystream) use it: answer
 * pings, end on GOAWAY and, unless the protocol handler grants windows itself as its consumer
 * takes the bytes (port forward does), grant back every byte received so a client that honours
 * flow control never stalls. Like spdystream itself it does not hold back its own sends for
 * window updates (spdystream never sends them). Stream frames go on to the protocol handler.
 */
final class SpdyConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(SpdyConnectionHandler.class);

  private final boolean grantOnReceipt;

  /** {@code grantOnReceipt}: whether every data frame's bytes are granted back as it arrives. */
  SpdyConnectionHandler(boolean grantOnReceipt) {
    this.grantOnReceipt = grantOnReceipt;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    switch (msg) {
      case SpdyPingFrame ping -> {
        // Only the peer's pings (odd ids from a client) are answered; ours would come back.
        if ((ping.id() & 1) == 1) {
          ctx.writeAndFlush(ping);
        }
      }
      case SpdySettingsFrame ignored -> { }
      case SpdyWindowUpdateFrame ignored -> { }
      case SpdyGoAwayFrame ignored -> ctx.close();
      case SpdyDataFrame data -> {
        int length = data.content().readableBytes();
        if (grantOnReceipt && length > 0) {
          ctx.writeAndFlush(new DefaultSpdyWindowUpdateFrame(data.streamId(), length));
        }
        ctx.fireChannelRead(data);
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
