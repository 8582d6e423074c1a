package dev.berth.image.pull;

import dev.berth.image.content.ContentGarbageCollector;
import dev.berth.image.content.ImageWriter;
import dev.berth.image.manifest.Descriptor;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.registry.RegistryCredentials;
import dev.berth.image.registry.RemoteImage;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pull: resolve at the registry, fetch what the store lacks, unpack, record. Two pulls of the
 * same reference share one download; the image appears only when every blob and layer is in.
 */
public final class ImagePuller {

  private static final Logger log = LoggerFactory.getLogger(ImagePuller.class);

  private final RegistryClient registry;
  private final BlobStore blobs;
  private final ImageWriter writer;
  private final ContentGarbageCollector gc;
  private final ConcurrentHashMap<String, CompletableFuture<ImageRecord>> inFlight = new ConcurrentHashMap<>();

  public ImagePuller(RegistryClient registry, BlobStore blobs, ImageWriter writer, ContentGarbageCollector gc) {
    this.registry = registry;
    this.blobs = blobs;
    this.writer = writer;
    this.gc = gc;
  }

  public ImageRecord pull(ImageReference ref, RegistryCredentials credentials) throws IOException {
    String key = ref.toString();
    CompletableFuture<ImageRecord> mine = new CompletableFuture<>();
    CompletableFuture<ImageRecord> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      log.info("pull of {} already running; waiting for it", key);
      try {
        return running.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the pull of " + key, e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
    try {
      ImageRecord image = doPull(ref, credentials);
      mine.complete(image);
      return image;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  private ImageRecord doPull(ImageReference ref, RegistryCredentials credentials) throws IOException {
    long start = System.nanoTime();
    RemoteImage remote = registry.resolve(ref, credentials);
    List<Digest> needed = new ArrayList<>();
    needed.add(remote.manifestDigest());
    needed.add(remote.manifest().config().digest());
    remote.manifest().layers().forEach(l -> needed.add(l.digest()));
    try (ContentGarbageCollector.Lease lease = gc.lease(needed)) {
      blobs.write(remote.manifestBytes(), remote.manifestDigest(), "manifest of " + ref);
      fetch(remote, remote.manifest().config());
      long bytes = 0;
      for (Descriptor layer : remote.manifest().layers()) {
        bytes += fetch(remote, layer);
      }
      // A pull by digest names no tag (name:tag@digest included, as containerd and the kubelet do).
      Optional<String> tag = ref.digest() == null ? ref.tagged() : Optional.empty();
      ImageRecord image = writer.commit(remote.manifestDigest(), remote.manifest(), tag.stream().toList(),
          List.of(ref.repository() + "@" + remote.referenceDigest()), "pull " + ref + " from " + remote.endpoint());
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
