package dev.berth.image.pull;

import dev.berth.image.manifest.Descriptor;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.registry.RemoteImage;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.LayerRecord;
import dev.berth.image.unpack.LayerStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The layers of one pull, a few downloading at a time, each unpacked into its own directory while
 * it downloads (the blob stored in the same pass). Layers are independent until the image is
 * mounted (overlayfs stacks their directories), so layer 3 may be unpacked before layer 1; the
 * image's order is the manifest's, whatever the order of arrival.
 *
 * <p>The first layer to fail stops the others: their downloads are interrupted and every one of
 * them has removed its temp files before {@link #fetch} throws that first failure. An interrupt
 * of the calling thread (the pull stopped) does the same.
 */
final class LayerDownloads {

  /** As containerd's default {@code max_concurrent_downloads}: more gains little on one link. */
  static final int MAX_PARALLEL = 3;

  private final RegistryClient registry;
  private final BlobStore blobs;
  private final LayerStore layers;
  private final int maxParallel;

  LayerDownloads(RegistryClient registry, BlobStore blobs, LayerStore layers, int maxParallel) {
    if (maxParallel < 1) {
      throw new IllegalArgumentException("parallel layer downloads must be at least 1, got " + maxParallel);
    }
    this.registry = registry;
    this.blobs = blobs;
    this.layers = layers;
    this.maxParallel = maxParallel;
  }

  /**
   * Makes sure every layer's blob is stored and the layer unpacked; {@code layers} and the
   * manifest's descriptors are in the same order. Returns the bytes downloaded.
   */
  long fetch(RemoteImage remote, List<LayerRecord> records, String what) throws IOException {
    List<Descriptor> descriptors = remote.manifest().layers();
    Semaphore slots = new Semaphore(maxParallel, true); // fair: layers start about in manifest order
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    List<Future<Long>> tasks = new CopyOnWriteArrayList<>(); // a failing task cancels the others
    // Closing the pool waits for every task, cancelled ones included, to have removed its temp files.
    try (ExecutorService pool = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("pull layer of " + remote.reference() + " #", 0).factory())) {
      for (int i = 0; i < records.size(); i++) {
        Descriptor descriptor = descriptors.get(i);
        LayerRecord record = records.get(i);
        tasks.add(pool.submit(() -> {
          slots.acquire();
          try {
            if (firstFailure.get() != null) {
              throw new CancellationException("another layer of the pull failed");
            }
            return fetchOne(remote, descriptor, record, what);
          } catch (IOException | RuntimeException e) {
            if (firstFailure.compareAndSet(null, e)) {
              tasks.forEach(t -> t.cancel(true)); // its own too: its failure is kept in firstFailure
            }
            throw e;
          } finally {
            slots.release();
          }
        }));
      }
      long bytes = 0;
      try {
        for (Future<Long> task : tasks) {
          bytes += await(task, firstFailure);
        }
      } catch (InterruptedException e) {
        tasks.forEach(t -> t.cancel(true));
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("pull of " + remote.reference() + ": stopped while downloading its layers");
      }
      return bytes;
    }
  }

  private static long await(Future<Long> task, AtomicReference<Throwable> firstFailure)
      throws IOException, InterruptedException {
    try {
      return task.get();
    } catch (CancellationException | ExecutionException e) {
      Throwable failure = firstFailure.get();
      if (failure == null) {
        failure = e instanceof ExecutionException ? e.getCause() : e;
      }
      switch (failure) {
        case IOException io -> throw io;
        case RuntimeException r -> throw r;
        case Error err -> throw err;
        default -> throw new IOException(failure);
      }
    }
  }

  private long fetchOne(RemoteImage remote, Descriptor descriptor, LayerRecord record, String what)
      throws IOException {
    if (blobs.contains(record.blob())) {
      layers.ensureUnpacked(record);
      return 0;
    }
    String label = what + " blob " + record.blob();
    registry.pullBlob(remote, descriptor, body -> layers.unpackIncoming(record, body, label));
    return descriptor.size();
  }
}
