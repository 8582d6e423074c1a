package dev.berth.runtime.stream;

import io.netty.channel.Channel;

/**
 * Holds a command's output thread while its client's connection has more queued than Netty's
 * high-water mark: a client that reads slower than the process writes would otherwise grow the
 * outbound buffer without bound. Never call {@link #await} on the event loop, which is what
 * drains the buffer.
 */
final class WritableWait {
  /** A wake-up that falls between the check and the wait costs at most this long. */
  private static final long RECHECK_MILLIS = 100;

  private final Object lock = new Object();

  /** Returns once the channel is writable again or closed. */
  void await(Channel channel) {
    synchronized (lock) {
      while (channel.isActive() && !channel.isWritable()) {
        try {
          lock.wait(RECHECK_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** The channel's writability changed, or it closed. */
  void changed() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }
}
