package dev.berth.runtime.stream;

import dev.berth.runtime.netns.PodLoopback;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded connection: a socket in the pod's network namespace, owned by the daemon and
 * registered on the client connection's own event loop, so both sides run on one thread and
 * share their state without locks. The socket is dialled on a virtual thread (dialling blocks);
 * what the client sends before it is connected waits here and counts as not yet taken.
 */
final class PortForwardBridge implements PortConnection {
  private static final Logger log = LoggerFactory.getLogger(PortForwardBridge.class);

  private final EventLoop loop;
  private final String podId;
  private final int port;
  private final Client client;
  private final ArrayDeque<ByteBuf> beforeConnected = new ArrayDeque<>();
  private EpollSocketChannel socket;
  private ChannelFuture lastWrite;
  private long waiting;
  private boolean reading;
  private boolean inputClosed;
  private boolean closed;
  private boolean ended;

  private PortForwardBridge(EventLoop loop, String podId, int port, Client client) {
    this.loop = loop;
    this.podId = podId;
    this.port = port;
    this.client = client;
  }

  /** Starts dialling {@code port} in {@code netns}; the client hears of everything on {@code loop}. */
  static PortForwardBridge open(PortDialer dialer, Optional<Path> netns, String podId, int port, Client client,
      EventLoop loop) {
    PortForwardBridge bridge = new PortForwardBridge(loop, podId, port, client);
    Thread.ofVirtual().name("port-forward-dial-" + port).start(() -> {
      int fd;
      try {
        fd = dialer.dial(netns, port);
      } catch (IOException | RuntimeException e) {
        onLoop(loop, () -> bridge.failed(e.getMessage()), () -> { });
        return;
      }
      onLoop(loop, () -> bridge.connected(fd), () -> PodLoopback.close(fd));
    });
    return bridge;
  }

  private static void onLoop(EventLoop loop, Runnable task, Runnable ifShutDown) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      ifShutDown.run();
    }
  }

  private void connected(int fd) {
    if (closed) {
      PodLoopback.close(fd);
      return;
    }
    socket = new EpollSocketChannel(fd);
    socket.config().setAutoRead(false);
    socket.pipeline().addLast(new FromPort());
    loop.register(socket).addListener(registered -> {
      if (!registered.isSuccess()) {
        failed(registered.cause().toString());
        return;
      }
      socket.config().setAutoRead(reading);
      while (!beforeConnected.isEmpty()) {
        send(beforeConnected.poll());
      }
      if (inputClosed) {
        shutdownOutputAfterWrites();
      }
    });
  }

  private void failed(String why) {
    if (closed) {
      return;
    }
    client.error("error forwarding port " + port + " to pod " + podId + ": " + why);
    close();
    end();
  }

  private void end() {
    if (!ended) {
      ended = true;
      client.end();
    }
  }

  @Override
  public void write(ByteBuf data) {
    if (closed || inputClosed) {
      data.release();
      return;
    }
    waiting += data.readableBytes();
    if (socket == null || !socket.isRegistered()) {
      beforeConnected.add(data);
    } else {
      send(data);
    }
  }

  private void send(ByteBuf data) {
    int length = data.readableBytes();
    lastWrite = socket.writeAndFlush(data);
    lastWrite.addListener(written -> {
      waiting -= length;
      if (written.isSuccess() && !closed) {
        client.consumed(length);
      }
    });
  }

  @Override
  public boolean writable() {
    return closed || waiting < MAX_WAITING_BYTES;
  }

  @Override
  public void readFromPort(boolean read) {
    reading = read;
    if (socket != null && socket.isRegistered() && socket.isOpen()) {
      socket.config().setAutoRead(read);
    }
  }

  @Override
  public void closeInput() {
    if (inputClosed) {
      return;
    }
    inputClosed = true;
    if (socket != null && socket.isRegistered()) {
      shutdownOutputAfterWrites();
    }
  }

  /** Shutting the output down fails what is still queued, so it waits for the last write. */
  private void shutdownOutputAfterWrites() {
    if (lastWrite == null) {
      socket.shutdownOutput();
    } else {
      lastWrite.addListener(written -> socket.shutdownOutput());
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    beforeConnected.forEach(ReferenceCountUtil::release);
    beforeConnected.clear();
    if (socket != null) {
      socket.close();
    }
  }

  /** What the pod sends goes to the client; the pod's end of stream ends the forwarded connection. */
  private final class FromPort extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (closed || !(msg instanceof ByteBuf bytes)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      client.data(bytes);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!closed) {
        end();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("port forward {} to pod {}: {}", port, podId, cause.toString());
      ctx.close();
    }
  }
}
