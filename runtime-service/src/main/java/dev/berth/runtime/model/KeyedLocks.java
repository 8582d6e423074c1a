package dev.berth.runtime.model;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per object id, so that calls for one pod or container never wait behind another's
 * slow call. A removed object's lock is forgotten when no call wants it; a call that took it
 * just as it was forgotten takes the id's current lock instead, so two calls never hold "the"
 * lock of one id at once.
 */
public final class KeyedLocks {

  private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  public <T> T with(String id, Supplier<T> action) {
    while (true) {
      ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
      lock.lock();
      if (locks.get(id) != lock) {
        // Forgotten while we waited: a later caller may already hold a fresh lock for this id.
        lock.unlock();
        continue;
      }
      try {
        return action.get();
      } finally {
        lock.unlock();
      }
    }
  }

  public void run(String id, Runnable action) {
    with(id, () -> {
      action.run();
      return null;
    });
  }

  /**
   * Drops the lock of a removed object unless a call holds or waits for it (that call will find
   * the object gone; its lock then stays, a few bytes, rather than be shared by two holders).
   */
  public void forget(String id) {
    locks.computeIfPresent(id, (key, lock) -> lock.isLocked() || lock.hasQueuedThreads() ? lock : null);
  }
}
