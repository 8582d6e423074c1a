package dev.berth.runtime.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;

/**
 * Holds back reading from a streaming client while what it sent cannot be passed on. Turning
 * auto-read off is not enough on its own: codecs ask for reads themselves when auto-read is off
 * and they have not decoded a whole message (Netty's SPDY codec fires its frames past its
 * decoder's count, so it asks after every read), and the client's bytes would keep coming. So
 * the gate sits first in the pipeline, where every read request passes, and keeps them while it
 * is shut.
 */
final class ClientReadGate extends ChannelOutboundHandlerAdapter {
  static final String NAME = "client-read-gate";

  private ChannelHandlerContext ctx;
  private boolean shut;
  private boolean readWanted;

  /** The gate of {@code ctx}'s pipeline, put first in it if it has none yet. */
  static ClientReadGate of(ChannelHandlerContext ctx) {
    ClientReadGate gate = ctx.pipeline().get(ClientReadGate.class);
    if (gate == null) {
      gate = new ClientReadGate();
      ctx.pipeline().addFirst(NAME, gate);
    }
    return gate;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    if (shut) {
      readWanted = true;
    } else {
      ctx.read();
    }
  }

  boolean isShut() {
    return shut;
  }

  void shut() {
    if (!shut) {
      shut = true;
      ctx.channel().config().setAutoRead(false);
    }
  }

  void open() {
    if (shut) {
      shut = false;
      ctx.channel().config().setAutoRead(true);
      if (readWanted) {
        readWanted = false;
        ctx.read();
      }
    }
  }
}
