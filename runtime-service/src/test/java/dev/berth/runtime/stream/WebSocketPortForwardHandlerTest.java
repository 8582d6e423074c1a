package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The port forward channels over WebSocket messages, without sockets or processes. */
class WebSocketPortForwardHandlerTest {
  private final List<String> events = new ArrayList<>();
  private final Map<Integer, PortConnection.Client> clients = new HashMap<>();
  private final Map<Integer, Boolean> portsWritable = new HashMap<>(Map.of(80, true, 8080, true));
  private final Map<Integer, Boolean> portsRead = new HashMap<>();
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelMessageCodec(false),
      new WebSocketPortForwardHandler((port, client) -> {
        clients.put(port, client);
        return new PortConnection() {
          public void write(ByteBuf data) {
            events.add(port + " <- " + data.toString(StandardCharsets.UTF_8));
            data.release();
          }

          public boolean writable() {
            return portsWritable.get(port);
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
      }, List.of(80, 8080)));

  /** The next message the server sent: channel, then the payload as hex if two bytes long, else text. */
  private String next() {
    channel.runPendingTasks();
    Object frame = channel.readOutbound();
    if (frame instanceof CloseWebSocketFrame close) {
      int status = close.statusCode();
      close.release();
      return "close " + status;
    }
    BinaryWebSocketFrame binary = assertInstanceOf(BinaryWebSocketFrame.class, frame);
    byte[] bytes = ByteBufUtil.getBytes(binary.content());
    binary.release();
    return (bytes[0] & 0xFF) + ":" + (bytes.length == 3 ? HexFormat.of().formatHex(bytes, 1, 3)
        : new String(bytes, 1, bytes.length - 1, StandardCharsets.UTF_8));
  }

  private void skipPortNumbers() {
    for (int i = 0; i < 4; i++) {
      next();
    }
  }

  @Test
  void eachPortsChannelsStartWithThePortLittleEndian() {
    assertEquals(List.of("0:5000", "1:5000", "2:901f", "3:901f"), List.of(next(), next(), next(), next()));
  }

  @Test
  void dataOnAnEvenChannelGoesToThatPort() {
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {2, 'h', 'i'})));
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, 'y', 'o'})));
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {3, 'n', 'o'})));
    assertEquals(List.of("8080 <- hi", "80 <- yo"), events);
  }

  @Test
  void aPortsDataAndErrorsGoOutOnItsChannels() {
    skipPortNumbers();
    clients.get(8080).data(Unpooled.copiedBuffer("answer", StandardCharsets.UTF_8));
    clients.get(80).error("refused");
    assertEquals("2:answer", next());
    assertEquals("1:refused", next());
  }

  @Test
  void theConnectionClosesOnlyWhenEveryPortHasEnded() {
    skipPortNumbers();
    clients.get(80).end();
    channel.runPendingTasks();
    assertNull(channel.readOutbound());
    assertTrue(channel.isOpen());
    clients.get(8080).end();
    assertEquals("close 1000", next());
    assertEquals(false, channel.isOpen());
    assertEquals(List.of("80 closed", "8080 closed"), events);
  }

  @Test
  void aPortThatLagsStopsReadingFromTheClientUntilItHasTakenTheBytes() {
    portsWritable.put(8080, false);
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {2, 'h', 'i'})));
    assertFalse(channel.config().isAutoRead());
    clients.get(80).consumed(10);
    assertFalse(channel.config().isAutoRead(), "port 8080 still lags");
    portsWritable.put(8080, true);
    clients.get(8080).consumed(2);
    assertTrue(channel.config().isAutoRead());
  }

  @Test
  void thePortsAreReadOnlyWhileTheClientTakesWhatItIsSent() {
    assertEquals(Map.of(80, true, 8080, true), portsRead);
    channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
    channel.write(Unpooled.wrappedBuffer(new byte[64]));
    channel.runPendingTasks();
    assertEquals(Map.of(80, false, 8080, false), portsRead);
    channel.flush();
    channel.runPendingTasks();
    assertEquals(Map.of(80, true, 8080, true), portsRead);
  }
}
