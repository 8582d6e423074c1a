package dev.berth.runtime.model;

import java.time.Instant;

/** Unix time in nanoseconds, the unit of every CRI timestamp. */
public final class Clock {

  private Clock() {}

  public static long nowNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  public static long toNanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }
}
