package dev.berth.runtime.stream;

import dev.berth.runtime.netns.PodLoopback;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Connects to a port on a pod's loopback, inside the pod's network namespace, with a socket the
 * daemon owns (see {@link PodLoopback}): no helper process per forwarded connection, so a port
 * forward cannot add processes outside the pod's cgroup or pids limit.
 */
public final class PortDialer {
  private final Duration connectTimeout;

  public PortDialer(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  /**
   * A connected, non-blocking socket (its file descriptor, owned by the caller) to
   * {@code 127.0.0.1:port} in {@code netns}, or in the daemon's namespace for a pod on the host
   * network. Blocks while the connection is made: never call it on an event loop.
   */
  public int dial(Optional<Path> netns, int port) throws IOException {
    return PodLoopback.connect(netns, port, connectTimeout);
  }
}
