package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.server.HeapReleaseAfterBursts.Action;
import dev.berth.runtime.server.HeapReleaseAfterBursts.Step;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HeapReleaseAfterBurstsTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MIB = 1L << 20;
  private static final long GREW = 5 * MIB;

  private final HeapReleaseAfterBursts policy = new HeapReleaseAfterBursts(Duration.ofSeconds(2), MIB);

  @Test
  void collectsOnceTheBurstHasBeenQuietForTheQuietPeriod() {
    policy.callStarted();
    assertTrue(policy.callEnded(10 * SECOND), "the last call's end starts a waiter");
    assertEquals(new Step(Action.WAIT, 2 * SECOND), policy.next(10 * SECOND, GREW));
    assertEquals(new Step(Action.WAIT, SECOND / 2), policy.next(11 * SECOND + SECOND / 2, GREW));
    assertEquals(Step.COLLECT, policy.next(12 * SECOND, GREW));
  }

  @Test
  void aCallThatEndsDuringTheWaitPutsTheCollectionOffAndStartsNoSecondWaiter() {
    policy.callStarted();
    assertTrue(policy.callEnded(0));
    policy.callStarted();
    assertFalse(policy.callEnded(SECOND), "a waiter runs already");
    assertEquals(new Step(Action.WAIT, 2 * SECOND), policy.next(SECOND, GREW));
    assertEquals(new Step(Action.WAIT, SECOND), policy.next(2 * SECOND, GREW));
    assertEquals(Step.COLLECT, policy.next(3 * SECOND, GREW));
  }

  @Test
  void neverCollectsWhileACallRuns() {
    policy.callStarted();
    policy.callStarted();
    assertFalse(policy.callEnded(0), "one of two calls still runs");
    assertTrue(policy.callEnded(0));
    assertEquals(new Step(Action.WAIT, 2 * SECOND), policy.next(0, GREW));
    policy.callStarted(); // a pod start during the wait, still running when the wait is over
    assertEquals(Step.STOP, policy.next(5 * SECOND, GREW));
    assertTrue(policy.callEnded(6 * SECOND), "its end starts the waiter again");
    assertEquals(new Step(Action.WAIT, 2 * SECOND), policy.next(6 * SECOND, GREW));
    assertEquals(Step.COLLECT, policy.next(8 * SECOND, GREW));
  }

  @Test
  void collectsAtMostOncePerBurst() {
    policy.callStarted();
    assertTrue(policy.callEnded(0));
    assertEquals(Step.COLLECT, policy.next(2 * SECOND, GREW));
    // Read-only polling after it is no call of a burst: nothing more until the next burst.
    assertEquals(Step.STOP, policy.next(60 * SECOND, GREW));
    policy.callStarted();
    assertTrue(policy.callEnded(100 * SECOND), "a new burst has its own waiter");
    assertEquals(Step.COLLECT, policy.next(102 * SECOND, GREW));
  }

  @Test
  void aBurstThatLeftLittleInTheOldGenerationIsNotWorthAPause() {
    policy.callStarted();
    assertTrue(policy.callEnded(0));
    assertEquals(Step.STOP, policy.next(2 * SECOND, MIB - 1));
    assertEquals(Step.STOP, policy.next(3 * SECOND, GREW), "the burst was dealt with: no collection later");
  }

  @Test
  void aCallEndedThatNeverStartedIsAnError() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> policy.callEnded(0));
    assertTrue(e.getMessage().contains("never started"), e.getMessage());
  }

  @Test
  void refusesANegativeQuietPeriodOrThreshold() {
    IllegalArgumentException quiet = assertThrows(IllegalArgumentException.class,
        () -> new HeapReleaseAfterBursts(Duration.ofMillis(-1), MIB));
    assertTrue(quiet.getMessage().contains("quiet period"), quiet.getMessage());
    IllegalArgumentException threshold = assertThrows(IllegalArgumentException.class,
        () -> new HeapReleaseAfterBursts(Duration.ofSeconds(2), -1));
    assertTrue(threshold.getMessage().contains("threshold"), threshold.getMessage());
  }
}
