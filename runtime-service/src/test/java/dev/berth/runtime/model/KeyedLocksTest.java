package dev.berth.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class KeyedLocksTest {

  @Test
  void aCallWaitingOnAForgottenLockNeverRunsBesideANewCaller() throws Exception {
    KeyedLocks locks = new KeyedLocks();
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger mostInside = new AtomicInteger();
    Runnable critical = () -> {
      mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      inside.decrementAndGet();
    };
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread remover = Thread.ofPlatform().start(() -> locks.run("a", () -> {
      holding.countDown();
      await(release);
    }));
    holding.await();
    Thread waiter = Thread.ofPlatform().start(() -> locks.run("a", critical));
    while (waiter.getState() != Thread.State.WAITING) {
      Thread.sleep(5);
    }
    // As a remove does: its call ends and the id's lock is forgotten while another call waits on it.
    release.countDown();
    remover.join();
    locks.forget("a");
    Thread newcomer = Thread.ofPlatform().start(() -> locks.run("a", critical));
    waiter.join();
    newcomer.join();
    assertEquals(1, mostInside.get(), "two calls for one id ran at once");
  }

  @Test
  void callsForDifferentIdsDoNotWaitForEachOther() throws Exception {
    KeyedLocks locks = new KeyedLocks();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread slow = Thread.ofPlatform().start(() -> locks.run("slow", () -> {
      holding.countDown();
      await(release);
    }));
    holding.await();
    assertEquals("done", locks.with("other", () -> "done"));
    release.countDown();
    slow.join();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
