package dev.berth.image.pull;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Runs a full collection once pulls have been quiet for a moment. A pull streams tens of MiB
 * through small heap buffers; the daemon's young generation is a few MiB (bin/berth), so every
 * young collection during a pull promotes the buffers in flight, and the old generation grows by
 * ~10 MiB of garbage that the serial collector keeps committed (resident) until its next full
 * collection, which on a quiet node may be hours away. A full collection of the daemon's
 * ~15 MiB live heap takes milliseconds and shrinks the old generation to its live set
 * (MaxHeapFreeRatio). Waiting for the quiet keeps the pause out of a burst of pulls.
 */
final class HeapReleaseAfterPulls {

  private final Duration quiet;
  private final BooleanSupplier idle;
  private final Runnable collect;
  private long generation; // guarded by this: a pull that starts or ends makes earlier waits void

  /**
   * {@code idle} says whether no pull runs now; {@code collect} is the collection
   * ({@code System::gc} in the daemon).
   */
  HeapReleaseAfterPulls(Duration quiet, BooleanSupplier idle, Runnable collect) {
    if (quiet.isNegative()) {
      throw new IllegalArgumentException("quiet period must not be negative, got " + quiet);
    }
    this.quiet = quiet;
    this.idle = idle;
    this.collect = collect;
  }

  /** A pull has ended; collects after the quiet period unless another pull starts or ends by then. */
  void pullEnded() {
    long mine;
    synchronized (this) {
      mine = ++generation;
    }
    Thread.ofVirtual().name("heap release after pulls").start(() -> {
      try {
        Thread.sleep(quiet);
      } catch (InterruptedException e) {
        return;
      }
      synchronized (this) {
        if (generation != mine) {
          return;
        }
      }
      if (idle.getAsBoolean()) {
        collect.run();
      }
    });
  }

  /** A pull has started: a collection waiting for the quiet is not wanted now. */
  synchronized void pullStarted() {
    generation++;
  }
}
