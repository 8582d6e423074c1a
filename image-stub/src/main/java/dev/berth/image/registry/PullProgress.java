package dev.berth.image.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When a pull last moved forward and what it was doing, for the pull's stall watchdog. A request
 * sent starts the clock; every byte of a blob restarts it. A document (token answer, manifest) is
 * small, so only its whole arrival counts: a registry that dribbles one byte a second cannot keep
 * a manifest request alive forever.
 *
 * <p>Several blobs of one pull are read at once (its layers download in parallel): any byte of
 * any of them is progress, and a stall names the blobs still open, not whichever step came last.
 */
public final class PullProgress {

  private volatile long lastNanos = System.nanoTime();
  private volatile String activity = "starting";
  private volatile boolean local;
  private final ConcurrentHashMap<Object, String> openBlobs = new ConcurrentHashMap<>();

  /** A new step: a request about to be sent, or a body about to be read. */
  void step(String what) {
    activity = what;
    local = false;
    lastNanos = System.nanoTime();
  }

  /**
   * Work on this node once everything is downloaded (unpacking what is left, recording the
   * image), which the registry cannot stall: the clock stops until the next request.
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

  /** What the pull is waiting for: the blobs being read, else its last step; for the stall error. */
  public String activity() {
    if (!local && !openBlobs.isEmpty()) {
      return String.join(", ", openBlobs.values());
    }
    return activity;
  }

  /**
   * The blob body, each byte read counting as progress; {@code what} ("reading blob D from R")
   * names it while it is open. Its end counts as progress too: storing the blob (the last
   * unpacked bytes, a sync to disk) starts a fresh clock rather than stopping it, since other
   * blobs of the pull may still be downloading.
   */
  InputStream trackBlob(InputStream body, String what) {
    Object key = new Object();
    openBlobs.put(key, what);
    activity = what;
    return new FilterInputStream(body) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        lastNanos = System.nanoTime();
        if (b < 0) {
          ended();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n != 0) {
          lastNanos = System.nanoTime();
        }
        if (n < 0) {
          ended();
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        openBlobs.remove(key);
        super.close();
      }

      private void ended() {
        if (openBlobs.remove(key) != null) {
          activity = "storing " + what.replaceFirst("^reading ", "");
        }
      }
    };
  }
}
