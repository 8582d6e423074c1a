package dev.berth.runtime.stream;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes remote command protocol over SPDY streams: the client opens one stream per
 * {@code streamType} (error, stdin, stdout, stderr, resize); once all that the request asked
 * for are open, a bridge runs the command. stdin and resize frames go to the bridge, its output
 * to the stdout and stderr streams, and its end to the error stream before the connection
 * closes.
 */
final class SpdyRemoteCommandHandler extends ChannelInboundHandlerAdapter implements CommandOutput {
  private static final Logger log = LoggerFactory.getLogger(SpdyRemoteCommandHandler.class);
  static final String STREAM_TYPE = "streamtype";

  private final RemoteCommandProtocol protocol;
  private final Set<String> expected;
  private final Function<CommandOutput, CommandInput> bridges;
  private final Duration creationTimeout;
  private final Map<String, Integer> streams = new HashMap<>();
  private final Map<Integer, String> types = new HashMap<>();
  private final ResizeDecoder resizes = new ResizeDecoder();
  private final List<byte[]> early = new ArrayList<>();
  private final WritableWait writable = new WritableWait();
  /** Server pings carry even ids; the client echoes them and the connection handler drops the echo. */
  private int nextPingId;
  private final ClientReads reads = new ClientReads(() -> new DefaultSpdyPingFrame(nextPingId += 2));
  private ChannelHandlerContext ctx;
  private CommandInput input;
  private ScheduledFuture<?> timeout;
  private boolean stdinClosedEarly;
  private boolean finished;

  SpdyRemoteCommandHandler(RemoteCommandProtocol protocol, StreamRequest.Stdio stdio,
      Function<CommandOutput, CommandInput> bridges, Duration creationTimeout) {
    this.protocol = protocol;
    this.expected = expectedStreams(protocol, stdio);
    this.bridges = bridges;
    this.creationTimeout = creationTimeout;
  }

  static Set<String> expectedStreams(RemoteCommandProtocol protocol, StreamRequest.Stdio stdio) {
    Set<String> expected = new HashSet<>();
    expected.add("error");
    if (stdio.stdin()) {
      expected.add("stdin");
    }
    if (stdio.stdout()) {
      expected.add("stdout");
    }
    if (stdio.stderr() && !stdio.tty()) {
      expected.add("stderr");
    }
    if (stdio.tty() && protocol.supportsResize()) {
      expected.add("resize");
    }
    return Set.copyOf(expected);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    timeout = ctx.executor().schedule(() -> {
      log.warn("streaming client {} opened only {} of the streams {} within {}", ctx.channel().remoteAddress(),
          streams.keySet(), expected, creationTimeout);
      ctx.close();
    }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      switch (msg) {
        case SpdySynStreamFrame syn -> opened(syn);
        case SpdyDataFrame data -> received(data);
        case SpdyRstStreamFrame rst -> {
          if ("stdin".equals(types.get(rst.streamId()))) {
            stdinClosed();
          }
        }
        default -> { }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void opened(SpdySynStreamFrame syn) {
    String type = syn.headers().getAsString(STREAM_TYPE);
    if (type == null || !Set.of("error", "stdin", "stdout", "stderr", "resize").contains(type)) {
      throw new StreamProtocolException("stream " + syn.streamId() + " has unknown stream type " + type);
    }
    if (streams.putIfAbsent(type, syn.streamId()) != null) {
      throw new StreamProtocolException("a second " + type + " stream");
    }
    types.put(syn.streamId(), type);
    ctx.writeAndFlush(reply(syn.streamId(), type));
    if (input == null && streams.keySet().containsAll(expected)) {
      timeout.cancel(false);
      input = bridges.apply(this);
      early.forEach(input::stdin);
      early.clear();
      if (stdinClosedEarly) {
        input.stdinClosed();
      }
    }
  }

  private void received(SpdyDataFrame data) {
    String type = types.get(data.streamId());
    if ("stdin".equals(type)) {
      if (data.content().isReadable()) {
        byte[] bytes = ByteBufUtil.getBytes(data.content());
        if (input == null) {
          early.add(bytes);
        } else {
          input.stdin(bytes);
        }
      }
      if (data.isLast()) {
        stdinClosed();
      }
    } else if ("resize".equals(type) && input != null) {
      for (TerminalSize size : resizes.decode(ByteBufUtil.getBytes(data.content()))) {
        input.resize(size);
      }
    }
  }

  private void stdinClosed() {
    if (input == null) {
      stdinClosedEarly = true;
    } else {
      input.stdinClosed();
    }
  }

  /**
   * Netty encodes a reply without headers as no header block at all, which Go's SPDY framer
   * cannot read (it always inflates one): echo the stream type so the block is never empty.
   */
  static DefaultSpdySynReplyFrame reply(int streamId, String type) {
    DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(streamId);
    reply.headers().set(STREAM_TYPE, type);
    return reply;
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
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (input != null) {
      input.clientGone();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof StreamProtocolException) {
      log.warn("streaming client {} broke the protocol: {}", ctx.channel().remoteAddress(), cause.getMessage());
    } else {
      log.warn("streaming connection from {} failed", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }

  @Override
  public void stdout(byte[] data) {
    send("stdout", data);
  }

  @Override
  public void stderr(byte[] data) {
    send("stderr", data);
  }

  private void send(String type, byte[] data) {
    ctx.executor().execute(() -> {
      Integer id = streams.get(type);
      if (id != null && !finished) {
        ctx.writeAndFlush(new DefaultSpdyDataFrame(id, Unpooled.wrappedBuffer(data)));
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
      Integer error = streams.get("error");
      if (error != null && status.length > 0) {
        ctx.write(new DefaultSpdyDataFrame(error, Unpooled.wrappedBuffer(status)));
      }
      ChannelFuture last = null;
      for (String type : List.of("stdout", "stderr", "error")) {
        Integer id = streams.get(type);
        if (id != null) {
          last = ctx.write(new DefaultSpdyDataFrame(id).setLast(true));
        }
      }
      ctx.flush();
      if (last == null) {
        ctx.close();
      } else {
        last.addListener(ChannelFutureListener.CLOSE);
      }
    });
  }
}
