package dev.berth.image.content;

import dev.berth.image.snapshot.OverlaySnapshotter;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageCatalog;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.LayerRecord;
import dev.berth.image.unpack.LayerStore;
import dev.berth.image.unpack.FileTrees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes blobs and unpacked layers that no image, no container rootfs and no pull in progress
 * uses. A pull leases its digests before it looks for them, under the same lock as a collection,
 * so that a collection never deletes a blob that a pull has just decided to reuse.
 */
public final class ContentGarbageCollector {

  private static final Logger log = LoggerFactory.getLogger(ContentGarbageCollector.class);

  private final ImageCatalog catalog;
  private final BlobStore blobs;
  private final LayerStore layers;
  private final OverlaySnapshotter snapshots;
  private final Map<Digest, Integer> leases = new HashMap<>();

  public ContentGarbageCollector(ImageCatalog catalog, BlobStore blobs, LayerStore layers, OverlaySnapshotter snapshots) {
    this.catalog = catalog;
    this.blobs = blobs;
    this.layers = layers;
    this.snapshots = snapshots;
  }

  /** Keeps the digests (blobs or diffIDs) from collection until the lease is closed. */
  public synchronized Lease lease(Collection<Digest> digests) {
    for (Digest d : digests) {
      leases.merge(d, 1, Integer::sum);
    }
    return new Lease(Set.copyOf(digests));
  }

  /**
   * Deletes what nothing uses. What to delete is decided, and unpacked layers are renamed away,
   * under the lock; the layers' files, which can be many, are deleted after it is released, so
   * that leases (pulls, imports, rootfs mounts) never wait behind a big deletion.
   */
  public void collect() throws IOException {
    List<Path> retired = new ArrayList<>();
    try {
      synchronized (this) {
        collect(retired);
      }
    } finally {
      for (Path layer : retired) {
        FileTrees.deleteRecursively(layer);
      }
    }
  }

  private void collect(List<Path> retired) throws IOException {
    Set<Digest> keepBlobs = new HashSet<>(leases.keySet());
    Set<Digest> keepLayers = new HashSet<>(leases.keySet());
    for (ImageRecord image : catalog.all()) {
      keepBlobs.add(image.manifest());
      keepBlobs.add(image.config());
      for (LayerRecord layer : image.layers()) {
        keepBlobs.add(layer.blob());
        keepLayers.add(layer.diffId());
      }
    }
    keepLayers.addAll(snapshots.layersInUse());
    int blobCount = 0;
    for (Digest d : blobs.list()) {
      if (!keepBlobs.contains(d)) {
        blobs.delete(d);
        blobCount++;
      }
    }
    int layerCount = 0;
    for (Digest d : layers.list()) {
      if (!keepLayers.contains(d)) {
        layers.retire(d).ifPresent(retired::add);
        layerCount++;
      }
    }
    if (blobCount + layerCount > 0) {
      log.info("garbage collection deleted {} blobs and {} unpacked layers", blobCount, layerCount);
    }
  }

  private synchronized void release(Set<Digest> digests) {
    for (Digest d : digests) {
      leases.computeIfPresent(d, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Digests held by one pull or import. */
  public final class Lease implements AutoCloseable {
    private final Set<Digest> digests;
    private final Set<Digest> added = new HashSet<>();
    private boolean closed;

    private Lease(Set<Digest> digests) {
      this.digests = digests;
    }

    /** Adds one digest to this lease. */
    public void add(Digest digest) {
      synchronized (ContentGarbageCollector.this) {
        if (!closed && !digests.contains(digest) && added.add(digest)) {
          leases.merge(digest, 1, Integer::sum);
        }
      }
    }

    @Override
    public void close() {
      synchronized (ContentGarbageCollector.this) {
        if (!closed) {
          closed = true;
          release(digests);
          release(added);
        }
      }
    }
  }
}
