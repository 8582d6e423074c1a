package dev.berth.runtime.stream;

/**
 * Bounds the stdin a bridge has taken from its client but not yet written to conmon. A process
 * that reads its stdin slower than the client sends (or never reads it) would otherwise grow that
 * queue until the daemon runs out of heap. Past {@link #HIGH} bytes the client's connection is
 * no longer read, so its TCP window closes and it slows to the process's pace; once the queue has
 * drained below {@link #LOW} it is read again.
 */
final class InputBudget {
  static final int HIGH = 1 << 20;
  static final int LOW = 256 << 10;

  private final CommandOutput client;
  private long queued;
  private boolean paused;

  InputBudget(CommandOutput client) {
    this.client = client;
  }

  /** {@code bytes} were taken from the client and queued for the process. */
  synchronized void taken(int bytes) {
    queued += bytes;
    if (!paused && queued > HIGH) {
      paused = true;
      client.acceptInput(false);
    }
  }

  /** {@code bytes} left the queue (written, or dropped because the process is gone). */
  synchronized void done(int bytes) {
    queued -= bytes;
    if (paused && queued <= LOW) {
      paused = false;
      client.acceptInput(true);
    }
  }
}
