package dev.berth.image.store;

import java.util.List;

/**
 * An image as the store knows it. Its ID is the digest of its config, as docker, containerd and
 * the kubelet use it; the manifest is kept so that the image can be exported and its repo
 * digests stay true.
 */
public record ImageRecord(
    String id,
    Digest manifest,
    String manifestMediaType,
    Digest config,
    List<LayerRecord> layers,
    List<String> repoTags,
    List<String> repoDigests,
    long size,
    long createdEpochMillis) {

  public ImageRecord {
    layers = List.copyOf(layers);
    repoTags = List.copyOf(repoTags);
    repoDigests = List.copyOf(repoDigests);
  }

  public ImageRecord withNames(List<String> tags, List<String> digests) {
    return new ImageRecord(id, manifest, manifestMediaType, config, layers, tags, digests, size, createdEpochMillis);
  }
}
