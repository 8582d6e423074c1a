package dev.berth.image.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HeapReleaseAfterPullsTest {

  private final AtomicInteger collections = new AtomicInteger();
  private final Semaphore collected = new Semaphore(0);
  private final AtomicBoolean idle = new AtomicBoolean(true);

  private HeapReleaseAfterPulls release(Duration quiet) {
    return new HeapReleaseAfterPulls(quiet, idle::get, () -> {
      collections.incrementAndGet();
      collected.release();
    });
  }

  @Test
  void collectsOnceAfterABurstOfPullsGoesQuiet() throws InterruptedException {
    HeapReleaseAfterPulls release = release(Duration.ofMillis(300));
    for (int i = 0; i < 3; i++) {
      release.pullStarted();
      release.pullEnded();
    }
    assertTrue(collected.tryAcquire(10, TimeUnit.SECONDS), "no collection after the pulls went quiet");
    Thread.sleep(600); // the earlier pulls' waits are over too: none of them collects
    assertEquals(1, collections.get());
  }

  @Test
  void aPullStartedDuringTheQuietPeriodPutsTheCollectionOff() throws InterruptedException {
    HeapReleaseAfterPulls release = release(Duration.ofMillis(300));
    release.pullEnded();
    release.pullStarted(); // still running when the first wait ends
    assertTrue(!collected.tryAcquire(900, TimeUnit.MILLISECONDS), "collected while a pull ran");
    release.pullEnded();
    assertTrue(collected.tryAcquire(10, TimeUnit.SECONDS), "no collection after the last pull ended");
    assertEquals(1, collections.get());
  }

  @Test
  void doesNotCollectWhileAPullIsStillRunning() throws InterruptedException {
    HeapReleaseAfterPulls release = release(Duration.ofMillis(100));
    idle.set(false); // one pull of two ended, the other runs on
    release.pullEnded();
    assertTrue(!collected.tryAcquire(600, TimeUnit.MILLISECONDS), "collected while a pull ran");
    assertEquals(0, collections.get());
  }

  @Test
  void refusesANegativeQuietPeriod() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> release(Duration.ofMillis(-1)));
    assertTrue(e.getMessage().contains("quiet period"), e.getMessage());
  }
}
