package dev.berth.runtime.events;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;

/**
 * Fans container events out to subscribers. Publishing never blocks: each subscriber has a
 * bounded queue, and one that falls behind is cut off (its stream ends with an error) rather
 * than slowing the runtime down.
 */
public final class ContainerEvents implements AutoCloseable {

  private final Set<Subscription> subscriptions = new CopyOnWriteArraySet<>();
  private volatile boolean closed;

  /** The daemon is stopping: every subscriber's stream ends, so shutdown need not wait for them. */
  @Override
  public void close() {
    closed = true;
  }

  public boolean closed() {
    return closed;
  }

  public void publish(ContainerEvent event) {
    for (Subscription subscription : subscriptions) {
      if (!subscription.queue.offer(event)) {
        subscription.overflowed = true;
        subscriptions.remove(subscription);
      }
    }
  }

  public Subscription subscribe(int capacity) {
    Subscription subscription = new Subscription(capacity);
    subscriptions.add(subscription);
    return subscription;
  }

  /** One subscriber's queue of events. */
  public final class Subscription implements AutoCloseable {

    private final BlockingQueue<ContainerEvent> queue;
    private volatile boolean overflowed;

    private Subscription(int capacity) {
      this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /** The next event, or null after {@code timeoutMillis}; check {@link #overflowed()} first. */
    public ContainerEvent next(long timeoutMillis) throws InterruptedException {
      return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The subscriber fell behind and was cut off; events after its queue filled were dropped. */
    public boolean overflowed() {
      return overflowed && queue.isEmpty();
    }

    @Override
    public void close() {
      subscriptions.remove(this);
    }
  }
}
