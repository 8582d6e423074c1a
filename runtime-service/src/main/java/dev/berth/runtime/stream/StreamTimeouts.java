package dev.berth.runtime.stream;

import java.time.Duration;

/**
 * How long a streaming connection may sit: {@code handshake} from accepting it until it has
 * upgraded to SPDY or WebSocket (a client that sends half a request is cut off then), and
 * {@code idle} once upgraded, with nothing read or written either way (the kubelet's stream
 * idle timeout, 4 hours by default).
 */
public record StreamTimeouts(Duration handshake, Duration idle) {
  public StreamTimeouts {
    if (handshake.isNegative() || handshake.isZero() || idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("streaming timeouts must be positive: " + handshake + ", " + idle);
    }
  }
}
