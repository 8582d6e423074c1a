package dev.berth.image.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * When a pull last moved forward and what it was doing, for the pull's stall watchdog. A request
 * sent starts the clock; every byte of a blob restarts it. A document (token answer, manifest) is
 * small, so only its whole arrival counts: a registry that dribbles one byte a second cannot keep
 * a manifest request alive forever.
 */
public final class PullProgress {

  private volatile long lastNanos = System.nanoTime();
  private volatile String activity = "starting";
  private volatile boolean local;

  /** A new step: a request about to be sent, or a body about to be read. */
  void step(String what) {
    activity = what;
    local = false;
    lastNanos = System.nanoTime();
  }

  /**
   * Work on this node (syncing a blob to disk, unpacking layers), which the registry cannot
   * stall: the clock stops until the next request.
   */
  public void localWork(String what) {
    activity = what;
    local = true;
  }

  /** True while the pull works on this node rather than waiting for the registry. */
  public boolean local() {
    return local;
  }

  /** How long since the last step or blob byte; zero during local work. */
  public Duration idle() {
    return local ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - lastNanos);
  }

  /** What the pull was doing at its last step, for the stall error. */
  public String activity() {
    return activity;
  }

  /** The blob body, each byte read counting as progress. */
  InputStream trackBlob(InputStream body) {
    return new FilterInputStream(body) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          lastNanos = System.nanoTime();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          lastNanos = System.nanoTime();
        } else if (n < 0) {
          localWork("storing " + activity.replaceFirst("^reading ", ""));
        }
        return n;
      }
    };
  }
}
