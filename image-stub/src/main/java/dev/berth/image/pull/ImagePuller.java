package dev.berth.image.pull;

import dev.berth.image.content.ContentGarbageCollector;
import dev.berth.image.content.ImageWriter;
import dev.berth.image.manifest.Descriptor;
import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.manifest.ManifestException;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.registry.PullProgress;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.registry.RegistryCredentials;
import dev.berth.image.registry.RegistryException;
import dev.berth.image.registry.RemoteImage;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pull: resolve at the registry, fetch what the store lacks, unpack, record. Two pulls of the
 * same reference share one download; the image appears only when every blob and layer is in.
 *
 * <p>The download runs on a thread of its own, not on a caller's: each caller waits on its own
 * future and may leave (client cancelled, deadline passed) without ending it for the others. When
 * the last caller has left, the download is stopped, and a later pull of the reference starts a
 * fresh one rather than joining it. A pull with no progress for the progress timeout fails with a
 * clear error, so no caller waits behind a stalled registry longer than that.
 */
public final class ImagePuller {

  private static final Logger log = LoggerFactory.getLogger(ImagePuller.class);

  private final RegistryClient registry;
  private final BlobStore blobs;
  private final ImageWriter writer;
  private final ContentGarbageCollector gc;
  private final Duration progressTimeout;
  private final Object lock = new Object();
  private final Map<String, PullJob> inFlight = new HashMap<>(); // guarded by lock

  public ImagePuller(RegistryClient registry, BlobStore blobs, ImageWriter writer, ContentGarbageCollector gc,
      Duration progressTimeout) {
    if (progressTimeout.isNegative() || progressTimeout.isZero()) {
      throw new IllegalArgumentException("pull progress timeout must be positive, got " + progressTimeout);
    }
    this.registry = registry;
    this.blobs = blobs;
    this.writer = writer;
    this.gc = gc;
    this.progressTimeout = progressTimeout;
  }

  /**
   * Starts a pull of the reference, or joins the one already running. Cancelling the returned
   * future means "this caller has gone"; the download stops when every caller has.
   */
  public CompletableFuture<ImageRecord> pull(ImageReference ref, RegistryCredentials credentials) {
    String key = ref.toString();
    PullJob job;
    boolean fresh;
    synchronized (lock) {
      job = inFlight.get(key);
      fresh = job == null;
      if (fresh) {
        job = new PullJob(key);
        inFlight.put(key, job);
      } else {
        log.info("pull of {} already running; waiting for it", key);
      }
      job.callers++;
    }
    if (fresh) {
      job.start(ref, credentials);
    }
    CompletableFuture<ImageRecord> mine = new CompletableFuture<>();
    PullJob joined = job;
    job.result.whenComplete((image, error) -> {
      if (error != null) {
        mine.completeExceptionally(error);
      } else {
        mine.complete(image);
      }
    });
    mine.whenComplete((image, error) -> {
      if (mine.isCancelled()) {
        leave(joined);
      }
    });
    return mine;
  }

  /** A caller has gone; the last one out stops the download. */
  private void leave(PullJob job) {
    synchronized (lock) {
      job.callers--;
      if (job.callers > 0 || job.result.isDone()) {
        return;
      }
      inFlight.remove(job.key, job);
    }
    job.abort(new RegistryException(RegistryException.Kind.CANCELLED,
        "pull " + job.key + ": cancelled, every caller of the pull has gone"));
  }

  /** One download of one reference, shared by its callers. */
  private final class PullJob {
    final String key;
    final CompletableFuture<ImageRecord> result = new CompletableFuture<>();
    final PullProgress progress = new PullProgress();
    int callers; // guarded by lock
    private volatile RegistryException abortedBy;
    private volatile Thread worker;

    PullJob(String key) {
      this.key = key;
    }

    void start(ImageReference ref, RegistryCredentials credentials) {
      worker = Thread.ofVirtual().name("pull " + key).unstarted(() -> run(ref, credentials));
      worker.start();
      Thread.ofVirtual().name("pull watchdog " + key).start(this::watch);
    }

    private void run(ImageReference ref, RegistryCredentials credentials) {
      ImageRecord image = null;
      Throwable failure = null;
      try {
        image = doPull(ref, credentials, progress);
      } catch (IOException | RuntimeException e) {
        failure = e;
      } finally {
        synchronized (lock) {
          inFlight.remove(key, this);
        }
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
      Thread.interrupted(); // the cleanup below must not be cut short too
      log.info("pull of {} failed: {}", key, failure.getMessage());
      collectLeftovers();
      result.completeExceptionally(failure);
    }

    /** Fails the pull when it has made no progress for the progress timeout. */
    private void watch() {
      long checkMillis = Math.clamp(progressTimeout.toMillis() / 4, 10, 1000);
      try {
        while (!result.isDone()) {
          try {
            result.get(checkMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.TimeoutException e) {
            Duration idle = progress.idle();
            if (idle.compareTo(progressTimeout) > 0) {
              abort(new RegistryException(RegistryException.Kind.STALLED, "pull " + key + ": stalled, no progress for "
                  + idle.toSeconds() + " s (the progress timeout is " + progressTimeout.toSeconds() + " s) while "
                  + progress.activity()));
              return;
            }
          } catch (java.util.concurrent.ExecutionException e) {
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Stops the download: an interrupt ends a blocked request, body read or disk write. */
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

  /** Blobs a failed pull had stored and no image uses; tmp is already clean (the store deletes its temps). */
  private void collectLeftovers() {
    try {
      gc.collect();
    } catch (IOException e) {
      log.warn("garbage collection after a failed pull failed: {}", e.getMessage());
    }
  }

  private ImageRecord doPull(ImageReference ref, RegistryCredentials credentials, PullProgress progress)
      throws IOException {
    long start = System.nanoTime();
    RemoteImage remote = registry.resolve(ref, credentials, progress);
    String what = "pull " + ref + " from " + remote.endpoint();
    Descriptor config = remote.manifest().config();
    if (config.size() > ImageConfig.MAX_BYTES) {
      throw new ManifestException(what + ": the image config " + config.digest() + " declares " + config.size()
          + " bytes; the limit is " + (ImageConfig.MAX_BYTES >> 20) + " MiB");
    }
    List<Digest> needed = new ArrayList<>();
    needed.add(remote.manifestDigest());
    needed.add(config.digest());
    remote.manifest().layers().forEach(l -> needed.add(l.digest()));
    try (ContentGarbageCollector.Lease lease = gc.lease(needed)) {
      blobs.write(remote.manifestBytes(), remote.manifestDigest(), "manifest of " + ref);
      fetch(remote, config);
      long bytes = 0;
      for (Descriptor layer : remote.manifest().layers()) {
        bytes += fetch(remote, layer);
      }
      progress.localWork("unpacking the layers of " + ref);
      // A pull by digest names no tag (name:tag@digest included, as containerd and the kubelet do).
      Optional<String> tag = ref.digest() == null ? ref.tagged() : Optional.empty();
      ImageRecord image = writer.commit(remote.manifestDigest(), remote.manifest(), tag.stream().toList(),
          List.of(ref.repository() + "@" + remote.referenceDigest()), what);
      log.info("pulled {} from {} as {} ({} layers, {} MiB fetched) in {} ms", ref, remote.endpoint(), image.id(),
          remote.manifest().layers().size(), bytes >> 20, (System.nanoTime() - start) / 1_000_000);
      return image;
    }
  }

  private long fetch(RemoteImage remote, Descriptor blob) throws IOException {
    if (blobs.contains(blob.digest())) {
      return 0;
    }
    registry.pullBlob(remote, blob, blobs);
    return blob.size();
  }
}
