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
import dev.berth.image.store.LayerRecord;
import dev.berth.image.unpack.LayerStore;
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
 * A pull: resolve at the registry, fetch what the store lacks, unpack, record. The layers download
 * a few at a time and are unpacked as they arrive ({@link LayerDownloads}). Two pulls of the same
 * reference share one download; the image appears only when every blob and layer is in.
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
  private final LayerDownloads layerDownloads;
  private final ImageWriter writer;
  private final ContentGarbageCollector gc;
  private final Duration progressTimeout;
  private final Object lock = new Object();
  private final Map<String, PullJob> inFlight = new HashMap<>(); // guarded by lock

  public ImagePuller(RegistryClient registry, BlobStore blobs, LayerStore layers, ImageWriter writer,
      ContentGarbageCollector gc, Duration progressTimeout) {
    if (progressTimeout.isNegative() || progressTimeout.isZero()) {
      throw new IllegalArgumentException("pull progress timeout must be positive, got " + progressTimeout);
    }
    this.registry = registry;
    this.blobs = blobs;
    this.layerDownloads = new LayerDownloads(registry, blobs, layers, LayerDownloads.MAX_PARALLEL);
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
        job = new PullJob(key, progressTimeout);
        inFlight.put(key, job);
      } else {
        log.info("pull of {} already running; waiting for it", key);
      }
      job.callers++;
    }
    if (fresh) {
      PullJob started = job;
      started.start(progress -> doPull(ref, credentials, progress), () -> {
        synchronized (lock) {
          inFlight.remove(key, started);
        }
      }, this::collectLeftovers);
    }
    CompletableFuture<ImageRecord> mine = new CompletableFuture<>();
    PullJob joined = job;
    job.result().whenComplete((image, error) -> {
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
      if (job.callers > 0 || job.result().isDone()) {
        return;
      }
      inFlight.remove(job.key(), job);
    }
    job.abort(new RegistryException(RegistryException.Kind.CANCELLED,
        "pull " + job.key() + ": cancelled, every caller of the pull has gone"));
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
      // The config first: its diffIDs check each layer as it is unpacked during its download.
      ImageConfig imageConfig = writer.config(remote.manifest(), what);
      imageConfig.diffIds().forEach(lease::add); // the layers unpacked before the image is recorded
      List<LayerRecord> records = new ArrayList<>();
      for (int i = 0; i < remote.manifest().layers().size(); i++) {
        Descriptor layer = remote.manifest().layers().get(i);
        records.add(new LayerRecord(layer.digest(), layer.mediaType(), layer.size(), imageConfig.diffIds().get(i)));
      }
      long bytes = layerDownloads.fetch(remote, records, what);
      progress.localWork("recording " + ref);
      // A pull by digest names no tag (name:tag@digest included, as containerd and the kubelet do).
      Optional<String> tag = ref.digest() == null ? ref.tagged() : Optional.empty();
      ImageRecord image = writer.commit(remote.manifestDigest(), remote.manifest(), imageConfig, tag.stream().toList(),
          List.of(ref.repository() + "@" + remote.referenceDigest()));
      log.info("pulled {} from {} as {} ({} layers, {} MiB fetched) in {} ms", ref, remote.endpoint(), image.id(),
          remote.manifest().layers().size(), bytes >> 20, (System.nanoTime() - start) / 1_000_000);
      return image;
    }
  }

  private void fetch(RemoteImage remote, Descriptor blob) throws IOException {
    if (!blobs.contains(blob.digest())) {
      registry.pullBlob(remote, blob, blobs);
    }
  }
}
