package dev.berth.runtime.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a streaming connection that has not upgraded within its deadline: a client that
 * connects and sends nothing, or half a request, would otherwise hold a socket and its buffers
 * for ever. The router takes this handler out once the connection has upgraded.
 */
final class HandshakeDeadline extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HandshakeDeadline.class);
  static final String NAME = "handshake-deadline";

  private final Duration timeout;
  private ScheduledFuture<?> deadline;

  HandshakeDeadline(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    deadline = ctx.executor().schedule(() -> {
      log.info("streaming connection from {} closed: no upgrade within {} s", ctx.channel().remoteAddress(),
          timeout.toSeconds());
      ctx.close();
    }, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    deadline.cancel(false);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    deadline.cancel(false);
    ctx.fireChannelInactive();
  }
}
