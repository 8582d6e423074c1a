package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handshake deadline and the idle timeout of streaming connections, on a virtual clock. */
class StreamTimeoutHandlersTest {

  private static void advance(EmbeddedChannel channel, Duration by) {
    channel.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
    channel.runScheduledPendingTasks();
    channel.runPendingTasks();
  }

  @Test
  void aConnectionThatNeverUpgradesIsClosedAtItsDeadline() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast(HandshakeDeadline.NAME, new HandshakeDeadline(Duration.ofSeconds(30)));
    channel.writeInbound(Unpooled.copiedBuffer("GET /exec/abc HTTP/1.1\r\nHost: x\r\n", java.nio.charset.StandardCharsets.US_ASCII));
    advance(channel, Duration.ofSeconds(29));
    assertTrue(channel.isOpen(), "closed before its deadline");
    advance(channel, Duration.ofSeconds(2));
    assertFalse(channel.isOpen());
    channel.finishAndReleaseAll();
  }

  @Test
  void anUpgradedConnectionOutlivesTheHandshakeDeadline() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast(HandshakeDeadline.NAME, new HandshakeDeadline(Duration.ofSeconds(30)));
    channel.pipeline().remove(HandshakeDeadline.NAME);
    advance(channel, Duration.ofMinutes(5));
    assertTrue(channel.isOpen());
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeoutButTrafficKeepsItOpen() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast(new IdleStateHandler(0, 0, 4, TimeUnit.HOURS), new IdleConnectionCloser());
    advance(channel, Duration.ofHours(3));
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
    advance(channel, Duration.ofHours(3));
    assertTrue(channel.isOpen(), "traffic three hours ago");
    advance(channel, Duration.ofHours(1).plusMinutes(1));
    assertFalse(channel.isOpen());
    channel.finishAndReleaseAll();
  }
}
