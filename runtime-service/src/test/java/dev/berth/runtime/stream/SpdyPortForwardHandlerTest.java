package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyWindowUpdateFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Port forward over SPDY frames, without sockets: pairing, window accounting, back pressure, limits. */
class SpdyPortForwardHandlerTest {
  private final List<String> events = new ArrayList<>();
  private final Map<Integer, PortConnection.Client> clients = new HashMap<>();
  private final Map<Integer, Integer> waiting = new HashMap<>();
  private final Map<Integer, Boolean> portsRead = new HashMap<>();
  private final EmbeddedChannel channel = new EmbeddedChannel(new SpdyConnectionHandler(false),
      new SpdyPortForwardHandler((port, client) -> {
        clients.put(port, client);
        waiting.put(port, 0);
        return new PortConnection() {
          public void write(ByteBuf data) {
            events.add(port + " <- " + data.toString(StandardCharsets.UTF_8));
            waiting.merge(port, data.readableBytes(), Integer::sum);
            data.release();
          }

          public boolean writable() {
            return waiting.get(port) < 4;
          }

          public void readFromPort(boolean read) {
            portsRead.put(port, read);
          }

          public void closeInput() {
            events.add(port + " input closed");
          }

          public void close() {
            events.add(port + " closed");
          }
        };
      }));

  /** Opens a port's error and data streams (ids {@code first} and {@code first + 2}); returns the data stream. */
  private int forward(int first, int port) {
    open(first, "error", port, first);
    open(first + 2, "data", port, first);
    return first + 2;
  }

  private void open(int id, String type, int port, int requestId) {
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
    syn.headers().set("streamtype", type).set("port", Integer.toString(port))
        .set("requestid", Integer.toString(requestId));
    channel.writeInbound(syn);
    SpdySynReplyFrame reply = assertInstanceOf(SpdySynReplyFrame.class, channel.readOutbound());
    assertEquals(id, reply.streamId());
  }

  private void send(int stream, String text) {
    channel.writeInbound(new DefaultSpdyDataFrame(stream, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
  }

  /** The window updates the server sent, as "stream+delta". */
  private List<String> windowUpdates() {
    List<String> updates = new ArrayList<>();
    Object frame;
    while ((frame = channel.readOutbound()) != null) {
      if (frame instanceof SpdyWindowUpdateFrame update) {
        updates.add(update.streamId() + "+" + update.deltaWindowSize());
      }
      ReferenceCountUtil.release(frame);
    }
    return updates;
  }

  @Test
  void dataGoesToThePortOnceBothStreamsAreOpen() {
    int data = forward(1, 8080);
    send(data, "GET /");
    assertEquals(List.of("8080 <- GET /"), events);
  }

  @Test
  void noWindowIsGrantedForBytesThePortHasNotTaken() {
    int data = forward(1, 8080);
    send(data, "abc");
    assertEquals(List.of(), windowUpdates());
  }

  @Test
  void theWindowIsGrantedForTheStreamAndTheSessionAsThePortTakesTheBytes() {
    int data = forward(1, 8080);
    send(data, "abc");
    clients.get(8080).consumed(3);
    assertEquals(List.of(data + "+3", "0+3"), windowUpdates());
  }

  @Test
  void aPortThatLagsStopsReadingFromTheClientUntilItCatchesUp() {
    int slow = forward(1, 8080);
    int fast = forward(5, 9090);
    send(slow, "four");
    assertFalse(channel.config().isAutoRead());
    send(fast, "x");
    clients.get(9090).consumed(1);
    assertFalse(channel.config().isAutoRead(), "port 8080 still has four bytes waiting");
    waiting.put(8080, 0);
    clients.get(8080).consumed(4);
    assertTrue(channel.config().isAutoRead());
  }

  @Test
  void readsThatCodecsAskForThemselvesAreHeldWhileAPortLags() {
    AtomicInteger readsAtTheSocket = new AtomicInteger();
    channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
      @Override
      public void read(ChannelHandlerContext ctx) {
        readsAtTheSocket.incrementAndGet();
        ctx.read();
      }
    });
    int data = forward(1, 8080);
    send(data, "four");
    readsAtTheSocket.set(0);
    channel.read(); // as SpdyFrameCodec does after each read while auto-read is off
    assertEquals(0, readsAtTheSocket.get());
    waiting.put(8080, 0);
    clients.get(8080).consumed(4);
    assertTrue(readsAtTheSocket.get() > 0, "reading never resumed");
  }

  @Test
  void anEndedConnectionNoLongerHoldsTheClientBack() {
    int data = forward(1, 8080);
    send(data, "four");
    assertFalse(channel.config().isAutoRead());
    clients.get(8080).end();
    assertTrue(channel.config().isAutoRead());
    assertTrue(events.contains("8080 closed"), events.toString());
  }

  @Test
  void aResetStreamClosesItsConnectionAndFreesTheClient() {
    int data = forward(1, 8080);
    send(data, "four");
    channel.writeInbound(new DefaultSpdyRstStreamFrame(data, SpdyStreamStatus.CANCEL));
    assertTrue(channel.config().isAutoRead());
    assertEquals(List.of("8080 <- four", "8080 closed"), events);
  }

  @Test
  void thePortsAreReadOnlyWhileTheClientTakesWhatItIsSent() {
    forward(1, 8080);
    assertEquals(Map.of(8080, true), portsRead);
    channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1, 2));
    channel.write(Unpooled.wrappedBuffer(new byte[64]));
    channel.runPendingTasks();
    assertEquals(Map.of(8080, false), portsRead);
    channel.flush();
    channel.runPendingTasks();
    assertEquals(Map.of(8080, true), portsRead);
  }

  @Test
  void thePortsDataGoesOutOnItsDataStream() {
    int data = forward(1, 8080);
    clients.get(8080).data(Unpooled.copiedBuffer("answer", StandardCharsets.UTF_8));
    SpdyDataFrame frame = assertInstanceOf(SpdyDataFrame.class, channel.readOutbound());
    assertEquals(data, frame.streamId());
    assertEquals("answer", frame.content().toString(StandardCharsets.UTF_8));
    frame.release();
  }

  @Test
  void streamsBeyondTheLimitAreRefusedAndOpenNoConnection() {
    for (int i = 0; i < SpdyPortForwardHandler.MAX_STREAMS / 2; i++) {
      forward(1 + 4 * i, 8080);
    }
    int beyond = 1 + 4 * (SpdyPortForwardHandler.MAX_STREAMS / 2);
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(beyond, 0, (byte) 0);
    syn.headers().set("streamtype", "error").set("port", "8080").set("requestid", "x");
    channel.writeInbound(syn);
    SpdyRstStreamFrame rst = assertInstanceOf(SpdyRstStreamFrame.class, channel.readOutbound());
    assertEquals(beyond, rst.streamId());
    assertEquals(SpdyStreamStatus.REFUSED_STREAM, rst.status());
    assertNull(channel.readOutbound());
    assertTrue(channel.isOpen());
  }

  @Test
  void exceptForPortForwardEveryByteIsGrantedOnReceipt() {
    EmbeddedChannel execChannel = new EmbeddedChannel(new SpdyConnectionHandler(true));
    execChannel.writeInbound(new DefaultSpdyDataFrame(3, Unpooled.copiedBuffer("abc", StandardCharsets.UTF_8)));
    SpdyWindowUpdateFrame update = assertInstanceOf(SpdyWindowUpdateFrame.class, execChannel.readOutbound());
    assertEquals(3, update.streamId());
    assertEquals(3, update.deltaWindowSize());
    ReferenceCountUtil.release(execChannel.readInbound());
  }
}
