package dev.berth.runtime.model;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per object id, so that calls for one pod or container never wait behind another's
 * slow call. Locks are few and small; they live as long as the daemon.
 */
public final class KeyedLocks {

  private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  public <T> T with(String id, Supplier<T> action) {
    ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  public void run(String id, Runnable action) {
    with(id, () -> {
      action.run();
      return null;
    });
  }

  public void forget(String id) {
    locks.remove(id);
  }
}
