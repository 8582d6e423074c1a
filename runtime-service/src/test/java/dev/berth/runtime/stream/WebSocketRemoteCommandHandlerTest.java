package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The k8s channel protocol over WebSocket messages, without sockets. */
class WebSocketRemoteCommandHandlerTest {
  private final List<String> events = new ArrayList<>();
  private final AtomicReference<CommandOutput> output = new AtomicReference<>();

  private EmbeddedChannel channel(RemoteCommandProtocol protocol, boolean base64, StreamRequest.Stdio stdio) {
    return new EmbeddedChannel(new ChannelMessageCodec(base64), new WebSocketRemoteCommandHandler(protocol, stdio,
        out -> {
          output.set(out);
          return new CommandInput() {
            public void stdin(byte[] data) {
              events.add("stdin " + new String(data, StandardCharsets.UTF_8));
            }

            public void stdinClosed() {
              events.add("stdin closed");
            }

            public void resize(TerminalSize size) {
              events.add("resize " + size.width() + "x" + size.height());
            }

            public void clientGone() {
              events.add("gone");
            }
          };
        }));
  }

  private static final StreamRequest.Stdio ALL = new StreamRequest.Stdio(true, true, true, false);
  private static final StreamRequest.Stdio TTY = new StreamRequest.Stdio(true, true, false, true);

  private static BinaryWebSocketFrame binary(int channel, String text) {
    return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) channel},
        text.getBytes(StandardCharsets.UTF_8)));
  }

  /** The next data message the server sent, as channel byte and text. */
  private static String nextMessage(EmbeddedChannel channel) {
    BinaryWebSocketFrame frame = assertInstanceOf(BinaryWebSocketFrame.class, channel.readOutbound());
    byte[] bytes = ByteBufUtil.getBytes(frame.content());
    frame.release();
    return (bytes[0] & 0xFF) + ":" + new String(bytes, 1, bytes.length - 1, StandardCharsets.UTF_8);
  }

  @Test
  void aBridgeThatCannotKeepUpStopsReadingTheClientUntilItCatchesUp() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V5, false, ALL);
    InputBudget budget = new InputBudget(output.get());
    budget.taken(InputBudget.HIGH);
    channel.runPendingTasks();
    assertTrue(channel.config().isAutoRead(), "up to the high mark the client is read");
    budget.taken(1);
    channel.runPendingTasks();
    assertFalse(channel.config().isAutoRead(), "past the high mark the client is not read");
    budget.done(InputBudget.HIGH + 1 - InputBudget.LOW - 1);
    channel.runPendingTasks();
    assertFalse(channel.config().isAutoRead(), "above the low mark it stays unread");
    budget.done(1);
    channel.runPendingTasks();
    assertTrue(channel.config().isAutoRead(), "drained to the low mark, the client is read again");
  }

  @Test
  void outputWaitsWhileTheClientsConnectionIsNotWritable() throws Exception {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V5, false, ALL);
    assertEquals("1:", nextMessage(channel));
    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    Thread pump = Thread.ofPlatform().start(() -> output.get().stdout("late".getBytes(StandardCharsets.UTF_8)));
    pump.join(300);
    assertTrue(pump.isAlive(), "the output thread waits while the client does not read");
    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    pump.join(5000);
    assertFalse(pump.isAlive(), "the output thread goes on once the connection is writable");
    channel.runPendingTasks();
    assertEquals("1:late", nextMessage(channel));
  }

  @Test
  void anEmptyMessageOnStdoutAnnouncesTheStart() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, false, ALL);
    assertEquals("1:", nextMessage(channel));
    assertTrue(output.get() != null);
  }

  @Test
  void withoutStdoutTheStartIsAnnouncedOnStderr() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, false, new StreamRequest.Stdio(false, false, true, false));
    assertEquals("2:", nextMessage(channel));
  }

  @Test
  void outputStatusAndCloseFollowInOrder() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, false, ALL);
    nextMessage(channel);
    output.get().stdout("out".getBytes(StandardCharsets.UTF_8));
    output.get().stderr("err".getBytes(StandardCharsets.UTF_8));
    output.get().finish(new CommandResult.Exited(2));
    channel.runPendingTasks();
    assertEquals("1:out", nextMessage(channel));
    assertEquals("2:err", nextMessage(channel));
    String status = nextMessage(channel);
    assertTrue(status.startsWith("3:{") && status.contains("\"NonZeroExitCode\"") && status.contains("\"message\":\"2\""),
        status);
    CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
    assertEquals(1000, close.statusCode());
    close.release();
    assertFalse(channel.isOpen());
    assertEquals(List.of("gone"), events);
  }

  @Test
  void stdinAndResizeReachTheBridge() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, false, TTY);
    channel.writeInbound(binary(0, "ls\n"));
    channel.writeInbound(binary(4, "{\"Width\":100,\"Height\":50}"));
    assertEquals(List.of("stdin ls\n", "resize 100x50"), events);
  }

  @Test
  void stdinTheRequestDidNotAskForIsIgnored() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, false, new StreamRequest.Stdio(false, true, true, false));
    channel.writeInbound(binary(0, "ignored"));
    assertEquals(List.of(), events);
  }

  @Test
  void theV5CloseSignalEndsStdin() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V5, false, ALL);
    channel.writeInbound(binary(0, "last"));
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 255, 0})));
    channel.writeInbound(binary(0, "after the end"));
    assertEquals(List.of("stdin last", "stdin closed"), events);
    assertTrue(channel.isOpen());
  }

  @Test
  void theCloseSignalBeforeV5IsAProtocolError() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, false, ALL);
    nextMessage(channel);
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 255, 0})));
    CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
    assertEquals(1002, close.statusCode());
    close.release();
    assertFalse(channel.isOpen());
  }

  @Test
  void base64MessagesCarryTheChannelAsADigit() {
    EmbeddedChannel channel = channel(RemoteCommandProtocol.V4, true, ALL);
    TextWebSocketFrame ready = assertInstanceOf(TextWebSocketFrame.class, channel.readOutbound());
    assertEquals("1", ready.text());
    ready.release();
    channel.writeInbound(new TextWebSocketFrame("0aGk="));
    assertEquals(List.of("stdin hi"), events);
    output.get().stdout(new byte[] {'o', 'k'});
    channel.runPendingTasks();
    WebSocketFrame out = channel.readOutbound();
    assertArrayEquals("1b2s=".getBytes(StandardCharsets.US_ASCII), ByteBufUtil.getBytes(out.content()));
    out.release();
  }
}
