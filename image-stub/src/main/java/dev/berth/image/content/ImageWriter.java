package dev.berth.image.content;

import dev.berth.image.manifest.Descriptor;
import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.manifest.ImageManifest;
import dev.berth.image.manifest.ManifestException;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.ImageCatalog;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.LayerRecord;
import dev.berth.image.unpack.LayerStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The last step of a pull or an import: with the manifest, config and layer blobs already in the
 * blob store (each verified against its digest as it was written), unpack the layers, check
 * their diffIDs against the config, and only then make the image visible in the catalog. A
 * failure before that leaves no image behind.
 */
public final class ImageWriter {

  private final BlobStore blobs;
  private final LayerStore layers;
  private final ImageCatalog catalog;
  private final ContentGarbageCollector gc;
  private final ImageConfigs configs;

  public ImageWriter(BlobStore blobs, LayerStore layers, ImageCatalog catalog, ContentGarbageCollector gc,
      ImageConfigs configs) {
    this.blobs = blobs;
    this.layers = layers;
    this.catalog = catalog;
    this.gc = gc;
    this.configs = configs;
  }

  public ImageRecord commit(Digest manifestDigest, ImageManifest manifest, List<String> repoTags, List<String> repoDigests,
      String what) throws IOException {
    return commit(manifestDigest, manifest, config(manifest, what), repoTags, repoDigests);
  }

  /**
   * As {@link #commit(Digest, ImageManifest, List, List, String)} with the config already read
   * by {@link #config}, as a pull does before it downloads the layers (it unpacks them as they
   * arrive, and checks each against its diffID).
   */
  public ImageRecord commit(Digest manifestDigest, ImageManifest manifest, ImageConfig config, List<String> repoTags,
      List<String> repoDigests) throws IOException {
    try (ContentGarbageCollector.Lease lease = gc.lease(config.diffIds())) {
      return commitLeased(manifestDigest, manifest, config, repoTags, repoDigests);
    }
  }

  /** The image's config (its blob already stored), checked to list one diffID per layer of the manifest. */
  public ImageConfig config(ImageManifest manifest, String what) throws IOException {
    Digest configDigest = manifest.config().digest();
    ImageConfig config = configs.parse(configDigest, what + " config " + configDigest);
    if (config.diffIds().size() != manifest.layers().size()) {
      throw new ManifestException(what + ": the manifest has " + manifest.layers().size()
          + " layers but the config lists " + config.diffIds().size() + " diff_ids");
    }
    return config;
  }

  private ImageRecord commitLeased(Digest manifestDigest, ImageManifest manifest, ImageConfig config, List<String> repoTags,
      List<String> repoDigests) throws IOException {
    Digest configDigest = manifest.config().digest();
    List<LayerRecord> records = new ArrayList<>();
    long size = blobs.size(manifestDigest) + blobs.size(configDigest);
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor layer = manifest.layers().get(i);
      LayerRecord record = new LayerRecord(layer.digest(), layer.mediaType(), blobs.size(layer.digest()),
          config.diffIds().get(i));
      layers.ensureUnpacked(record);
      records.add(record);
      size += record.size();
    }
    ImageRecord image = new ImageRecord(configDigest.toString(), manifestDigest, manifest.mediaType(), configDigest,
        records, repoTags, repoDigests, size, System.currentTimeMillis());
    ImageRecord recorded = catalog.put(image);
    configs.remember(configDigest, config);
    return recorded;
  }
}
