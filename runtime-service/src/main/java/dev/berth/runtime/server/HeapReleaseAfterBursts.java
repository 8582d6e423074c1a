package dev.berth.runtime.server;

import java.time.Duration;

/**
 * When the daemon gives back the heap that a burst of state-changing calls (pod starts and
 * stops, pulls) left behind: once no such call has run for the quiet period, and only if the old
 * generation grew by at least the threshold since the last full collection.
 *
 * <p>Why: bin/berth gives the daemon a young generation of a few MiB, so every young collection
 * during a burst promotes what is in flight (a pull's buffers, a pod start's records and specs),
 * and the serial collector keeps the old generation's pages committed, hence resident, until its
 * next full collection, which on a quiet node may be hours away. A full collection of the
 * daemon's ~15 MiB live heap takes milliseconds and shrinks the old generation to its live set
 * (MaxHeapFreeRatio). The kubelet's read-only polling is not counted: it never ends a burst's
 * quiet, so a steady node collects once after each burst and then not again.
 *
 * <p>Pure and synchronized; the caller supplies the clock's readings and the old generation's
 * growth, and runs one waiter at a time ({@link #callEnded} says when to start it), which asks
 * {@link #next} until it is told to collect or to stop.
 */
final class HeapReleaseAfterBursts {

  /** What the waiter does now. */
  enum Action {
    /** Sleep {@link Step#waitNanos()}, then ask again. */
    WAIT,
    /** The burst is over and left enough in the old generation: run a full collection, then stop. */
    COLLECT,
    /** Nothing to do: a call runs (its end starts a new waiter) or the burst is dealt with. */
    STOP
  }

  /** The waiter's next step; {@code waitNanos} is positive for {@link Action#WAIT} only. */
  record Step(Action action, long waitNanos) {
    static final Step COLLECT = new Step(Action.COLLECT, 0);
    static final Step STOP = new Step(Action.STOP, 0);
  }

  private final long quietNanos;
  private final long thresholdBytes;
  private int running; // state-changing calls running now
  private boolean burst; // a call has run since the last decision to collect or not
  private long lastEndedNanos;
  private boolean waiting; // a waiter is running

  /**
   * {@code quiet}: how long no state-changing call may run before the burst counts as over;
   * {@code threshold}: how much the old generation must have grown since the last full
   * collection to make one worth its pause.
   */
  HeapReleaseAfterBursts(Duration quiet, long thresholdBytes) {
    if (quiet.isNegative()) {
      throw new IllegalArgumentException("quiet period must not be negative, got " + quiet);
    }
    if (thresholdBytes < 0) {
      throw new IllegalArgumentException("old generation growth threshold must not be negative, got " + thresholdBytes);
    }
    this.quietNanos = quiet.toNanos();
    this.thresholdBytes = thresholdBytes;
  }

  /** A state-changing call has started. */
  synchronized void callStarted() {
    running++;
    burst = true;
  }

  /**
   * A state-changing call has ended at {@code nowNanos}; true when the caller must start a
   * waiter (the last running call ended and no waiter runs).
   */
  synchronized boolean callEnded(long nowNanos) {
    if (running == 0) {
      throw new IllegalStateException("a call ended that was never started");
    }
    running--;
    lastEndedNanos = nowNanos;
    if (running > 0 || waiting) {
      return false;
    }
    waiting = true;
    return true;
  }

  /**
   * The waiter's next step at {@code nowNanos}, given how many bytes the old generation holds
   * beyond what it held after the last full collection. Once it answers COLLECT or STOP the
   * waiter ends; the burst it saw is then over, collected or not (at most one collection each).
   */
  synchronized Step next(long nowNanos, long oldGenerationGrowthBytes) {
    if (running > 0 || !burst) {
      waiting = false;
      return Step.STOP;
    }
    long remaining = lastEndedNanos + quietNanos - nowNanos;
    if (remaining > 0) {
      return new Step(Action.WAIT, remaining);
    }
    waiting = false;
    burst = false;
    return oldGenerationGrowthBytes >= thresholdBytes ? Step.COLLECT : Step.STOP;
  }
}
