package dev.berth.runtime.model;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * Wall-clock milliseconds of each step of one CRI call, logged as one debug line when the call
 * ends ({@code run pod sandbox 3f2a.. in 182 ms: netns 9, cni 95 (beside infra), ...}), so that an
 * operator with {@code log_level = "debug"} can see where a slow pod start spends its time.
 * Costs a {@link System#nanoTime()} call and a small record a step when debug logging is off.
 *
 * <p>A step that runs on another thread beside the main sequence is recorded with
 * {@link #add(String, long)}; it is named "(beside)" in the line and not part of the sum.
 */
public final class StepTimes {

  /** One step: its name, its nanoseconds, and whether it ran beside the marked sequence. */
  private record Step(String name, long nanos, boolean beside) {
    @Override
    public String toString() {
      return name + " " + millis(nanos) + (beside ? " (beside)" : "");
    }
  }

  private final String call;
  private final long started = System.nanoTime();
  private long last = started;
  private final List<Step> steps = new ArrayList<>();

  public StepTimes(String call) {
    this.call = call;
  }

  /** Ends the step that began at the previous mark (or at construction). */
  public synchronized void mark(String step) {
    long now = System.nanoTime();
    steps.add(new Step(step, now - last, false));
    last = now;
  }

  /** A step that ran concurrently with the marked ones, measured by the caller. */
  public synchronized void add(String step, long nanos) {
    steps.add(new Step(step, nanos, true));
  }

  /** Logs the steps at debug level, with the total since construction; only then are they formatted. */
  public synchronized void log(Logger log) {
    if (log.isDebugEnabled()) {
      log.debug("{} in {} ms: {}", call, millis(System.nanoTime() - started),
          String.join(", ", steps.stream().map(Step::toString).toList()));
    }
  }

  private static String millis(long nanos) {
    return String.format("%.1f", nanos / 1e6);
  }
}
