package dev.berth.runtime.stream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Stops and resumes reading a streaming client's connection for {@link CommandOutput#acceptInput}.
 * A connection that is not read never shows its close (only a read sees it), and a process that
 * never reads its stdin would keep reading stopped for ever, with the exec and its threads held
 * for a client long gone. So while reading is stopped a protocol ping is written every second:
 * writing to a peer that has gone fails, and the failed write closes the channel.
 */
final class ClientReads {
  private static final long PROBE_SECONDS = 1;

  private final Supplier<Object> ping;
  private ScheduledFuture<?> probe;

  /** {@code ping} makes one keep-alive message of the connection's protocol. */
  ClientReads(Supplier<Object> ping) {
    this.ping = ping;
  }

  /** Callable from any thread; the change happens on the channel's event loop, in call order. */
  void accept(ChannelHandlerContext ctx, boolean accept) {
    ctx.executor().execute(() -> {
      ctx.channel().config().setAutoRead(accept);
      if (accept) {
        stop();
      } else if (probe == null && ctx.channel().isActive()) {
        probe = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(ping.get()),
            PROBE_SECONDS, PROBE_SECONDS, TimeUnit.SECONDS);
      }
    });
  }

  /** Ends the probe; call on the event loop, when the channel closes. */
  void stop() {
    if (probe != null) {
      probe.cancel(false);
      probe = null;
    }
  }
}
