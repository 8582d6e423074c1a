package dev.berth.runtime.server;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a latch. Handling them ourselves (rather than through a JVM shutdown
 * hook) lets the daemon drain its calls and exit 0, which is what systemd expects of a clean stop.
 */
public final class ShutdownSignal {

  private final CountDownLatch received = new CountDownLatch(1);
  private volatile String name = "";

  public static ShutdownSignal install() {
    ShutdownSignal signal = new ShutdownSignal();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), s -> {
        signal.name = "SIG" + s.getName();
        signal.received.countDown();
      });
    }
    return signal;
  }

  /** Blocks until a signal arrives and returns its name. */
  public String await() throws InterruptedException {
    received.await();
    return name;
  }
}
