package dev.berth.runtime.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a streaming connection once the idle state handler in front of it reports that nothing
 * was read or written for the idle timeout, as the kubelet's own streaming server does.
 */
final class IdleConnectionCloser extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(IdleConnectionCloser.class);

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent) {
      log.info("streaming connection from {} closed: idle", ctx.channel().remoteAddress());
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(event);
  }
}
