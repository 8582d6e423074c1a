package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The k8s channel protocol over SPDY frames, without sockets. */
class SpdyRemoteCommandHandlerTest {
  private final List<String> events = new ArrayList<>();
  private final AtomicReference<CommandOutput> output = new AtomicReference<>();
  private final EmbeddedChannel channel = new EmbeddedChannel(new SpdyRemoteCommandHandler(RemoteCommandProtocol.V4,
      new StreamRequest.Stdio(true, true, false, true), out -> {
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
      }, Duration.ofSeconds(30)));

  private void open(int id, String type) {
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
    syn.headers().set("streamtype", type);
    channel.writeInbound(syn);
    SpdySynReplyFrame reply = channel.readOutbound();
    assertEquals(id, reply.streamId());
  }

  private void data(int id, String text, boolean last) {
    channel.writeInbound(new DefaultSpdyDataFrame(id, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)).setLast(last));
  }

  @Test
  void theBridgeStartsOnlyOnceEveryExpectedStreamIsOpen() {
    open(1, "error");
    open(3, "stdin");
    open(5, "stdout");
    assertNull(output.get());
    open(7, "resize");
    assertTrue(output.get() != null);
  }

  @Test
  void stdinBeforeTheLastStreamIsDeliveredInOrderWithItsEnd() {
    open(1, "error");
    open(3, "stdin");
    data(3, "early", true);
    open(5, "stdout");
    open(7, "resize");
    assertEquals(List.of("stdin early", "stdin closed"), events);
  }

  @Test
  void resizeMessagesSplitAcrossFramesAreDecoded() {
    open(1, "error");
    open(3, "stdin");
    open(5, "stdout");
    open(7, "resize");
    data(7, "{\"Width\":80,", false);
    data(7, "\"Height\":24}{\"Width\":100,\"Height\":50}", false);
    assertEquals(List.of("resize 80x24", "resize 100x50"), events);
  }

  @Test
  void theEndWritesTheStatusClosesTheStreamsAndTheConnection() {
    open(1, "error");
    open(3, "stdin");
    open(5, "stdout");
    open(7, "resize");
    output.get().stdout("hi".getBytes(StandardCharsets.UTF_8));
    output.get().finish(new CommandResult.Exited(2));
    channel.runPendingTasks();
    SpdyDataFrame out = channel.readOutbound();
    assertEquals(5, out.streamId());
    assertEquals("hi", out.content().toString(StandardCharsets.UTF_8));
    SpdyDataFrame status = channel.readOutbound();
    assertEquals(1, status.streamId());
    assertTrue(status.content().toString(StandardCharsets.UTF_8).contains("\"NonZeroExitCode\""));
    SpdyDataFrame stdoutEnd = channel.readOutbound();
    assertTrue(stdoutEnd.isLast());
    SpdyDataFrame errorEnd = channel.readOutbound();
    assertTrue(errorEnd.isLast() && errorEnd.streamId() == 1);
    assertFalse(channel.isOpen());
    assertEquals(List.of("gone"), events);
  }

  @Test
  void anUnknownStreamTypeClosesTheConnection() {
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(1, 0, (byte) 0);
    syn.headers().set("streamtype", "bogus");
    channel.writeInbound(syn);
    assertFalse(channel.isOpen());
  }
}
