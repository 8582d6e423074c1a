package dev.berth.image.registry;

import dev.berth.image.manifest.ImageManifest;
import dev.berth.image.reference.ImageReference;
import dev.berth.image.store.Digest;

/**
 * An image resolved at a registry: the platform's manifest, and the digest the reference
 * resolved to (the index's when there is one, which is what a repo digest names).
 */
public final class RemoteImage {
  private final ImageReference reference;
  private final RegistrySession session;
  private final Digest referenceDigest;
  private final Digest manifestDigest;
  private final byte[] manifestBytes;
  private final ImageManifest manifest;

  RemoteImage(ImageReference reference, RegistrySession session, Digest referenceDigest, Digest manifestDigest,
      byte[] manifestBytes, ImageManifest manifest) {
    this.reference = reference;
    this.session = session;
    this.referenceDigest = referenceDigest;
    this.manifestDigest = manifestDigest;
    this.manifestBytes = manifestBytes.clone();
    this.manifest = manifest;
  }

  public ImageReference reference() {
    return reference;
  }

  RegistrySession session() {
    return session;
  }

  public String endpoint() {
    return session.endpoint().toString();
  }

  public Digest referenceDigest() {
    return referenceDigest;
  }

  public Digest manifestDigest() {
    return manifestDigest;
  }

  public byte[] manifestBytes() {
    return manifestBytes.clone();
  }

  public ImageManifest manifest() {
    return manifest;
  }
}
