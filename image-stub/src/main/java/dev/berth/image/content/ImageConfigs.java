package dev.berth.image.content;

import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.manifest.ManifestException;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Image configs read with a size bound and kept parsed: the kubelet lists images and asks their
 * status every few seconds, and each answer needs the config's user, so a config is parsed once
 * (when its image is written, or on first use after a restart), never per call.
 */
public final class ImageConfigs {

  private final BlobStore blobs;
  private final ConcurrentHashMap<Digest, ImageConfig> parsed = new ConcurrentHashMap<>();

  public ImageConfigs(BlobStore blobs) {
    this.blobs = blobs;
  }

  /** The parsed config, from memory when it was parsed before. */
  public ImageConfig get(Digest config, String what) throws IOException {
    ImageConfig known = parsed.get(config);
    if (known != null) {
      return known;
    }
    ImageConfig read = parse(config, what);
    ImageConfig raced = parsed.putIfAbsent(config, read);
    return raced != null ? raced : read;
  }

  /** Reads and parses the config blob without keeping it (an image not yet committed). */
  public ImageConfig parse(Digest config, String what) throws IOException {
    return ImageConfig.parse(raw(config, what), what);
  }

  /** The config blob's bytes, refused when it is bigger than {@link ImageConfig#MAX_BYTES}. */
  public byte[] raw(Digest config, String what) throws IOException {
    long size = blobs.size(config);
    if (size > ImageConfig.MAX_BYTES) {
      throw tooLarge(what, size);
    }
    try (InputStream in = blobs.open(config)) {
      byte[] bytes = in.readNBytes(ImageConfig.MAX_BYTES + 1);
      if (bytes.length > ImageConfig.MAX_BYTES) {
        throw tooLarge(what, bytes.length);
      }
      return bytes;
    }
  }

  /** Keeps a config parsed at commit, so that no call after it parses it again. */
  public void remember(Digest config, ImageConfig parsedConfig) {
    parsed.put(config, parsedConfig);
  }

  /** Forgets a removed image's config. */
  public void forget(Digest config) {
    parsed.remove(config);
  }

  private static ManifestException tooLarge(String what, long size) {
    return new ManifestException(what + ": the image config is " + size + " bytes; the limit is "
        + (ImageConfig.MAX_BYTES >> 20) + " MiB");
  }
}
