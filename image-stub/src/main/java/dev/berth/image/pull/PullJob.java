package dev.berth.image.pull;

import dev.berth.image.registry.PullProgress;
import dev.berth.image.registry.RegistryException;
import dev.berth.image.store.ImageRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download of one reference, on a virtual thread of its own, with a watchdog that stops it
 * when it makes no progress for the progress timeout. Stopping is an interrupt, which ends a
 * blocked request, body read or disk write; the failure then names the reason, not the
 * interrupted call.
 */
final class PullJob {

  private static final Logger log = LoggerFactory.getLogger(PullJob.class);

  /** The pull itself, reporting to the progress it is given. */
  @FunctionalInterface
  interface Work {
    ImageRecord run(PullProgress progress) throws IOException;
  }

  private final String key;
  private final Duration progressTimeout;
  private final CompletableFuture<ImageRecord> result = new CompletableFuture<>();
  private final PullProgress progress = new PullProgress();
  private volatile RegistryException abortedBy;
  private volatile Thread worker;
  int callers; // guarded by the puller's lock

  PullJob(String key, Duration progressTimeout) {
    this.key = key;
    this.progressTimeout = progressTimeout;
  }

  String key() {
    return key;
  }

  CompletableFuture<ImageRecord> result() {
    return result;
  }

  /**
   * Runs the work; {@code ended} runs as soon as it returns or fails (before its callers hear of
   * it), {@code afterFailure} after a failure, before the callers hear of it.
   */
  void start(Work work, Runnable ended, Runnable afterFailure) {
    worker = Thread.ofVirtual().name("pull " + key).unstarted(() -> run(work, ended, afterFailure));
    worker.start();
    Thread.ofVirtual().name("pull watchdog " + key).start(this::watch);
  }

  private void run(Work work, Runnable ended, Runnable afterFailure) {
    ImageRecord image = null;
    Throwable failure = null;
    try {
      image = work.run(progress);
    } catch (IOException | RuntimeException e) {
      failure = e;
    } finally {
      ended.run();
    }
    if (failure == null) {
      result.complete(image);
      return;
    }
    RegistryException aborted = abortedBy;
    if (aborted != null) {
      // The interrupt surfaces as whatever the blocked call made of it; the reason is the abort.
      aborted.addSuppressed(failure);
      failure = aborted;
    }
    Thread.interrupted(); // the cleanup must not be cut short too
    log.info("pull of {} failed: {}", key, failure.getMessage());
    afterFailure.run();
    result.completeExceptionally(failure);
  }

  /** Fails the pull when it has made no progress for the progress timeout. */
  private void watch() {
    long checkMillis = Math.clamp(progressTimeout.toMillis() / 4, 10, 1000);
    try {
      while (!result.isDone()) {
        try {
          result.get(checkMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          Duration idle = progress.idle();
          if (idle.compareTo(progressTimeout) > 0) {
            abort(new RegistryException(RegistryException.Kind.STALLED, "pull " + key + ": stalled, no progress for "
                + idle.toSeconds() + " s (the progress timeout is " + progressTimeout.toSeconds() + " s) while "
                + progress.activity()));
            return;
          }
        } catch (ExecutionException e) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the download, unless it is already done or only local work is left. */
  void abort(RegistryException reason) {
    if (reason.kind() == RegistryException.Kind.CANCELLED && progress.local()) {
      // Everything is downloaded: the unpack finishes and the image is there for the next pull.
      log.info("{}; finishing its unpack", reason.getMessage());
      return;
    }
    synchronized (this) {
      if (abortedBy != null || result.isDone()) {
        return;
      }
      abortedBy = reason;
    }
    if (reason.kind() == RegistryException.Kind.CANCELLED) {
      log.info("{}", reason.getMessage());
    } else {
      log.warn("{}", reason.getMessage());
    }
    worker.interrupt();
  }
}
