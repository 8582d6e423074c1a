package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StreamTokensTest {
  private final AtomicLong now = new AtomicLong();
  private final StreamTokens tokens = new StreamTokens(Duration.ofMinutes(1), now::get);
  private final StreamRequest request = new StreamRequest.PortForward("pod");

  @Test
  void aTokenRedeemsOnce() {
    String token = tokens.issue(request);
    assertEquals(Optional.of(request), tokens.consume(token));
    assertTrue(tokens.consume(token).isEmpty());
  }

  @Test
  void anExpiredTokenIsRefused() {
    String token = tokens.issue(request);
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertTrue(tokens.consume(token).isEmpty());
  }

  @Test
  void tokensDiffer() {
    assertNotEquals(tokens.issue(request), tokens.issue(request));
  }

  @Test
  void expiredTokensArePurgedOnIssue() {
    tokens.issue(request);
    now.addAndGet(Duration.ofMinutes(2).toNanos());
    tokens.issue(request);
    assertEquals(1, tokens.size());
  }
}
