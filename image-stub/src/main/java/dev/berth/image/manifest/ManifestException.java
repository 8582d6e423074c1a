package dev.berth.image.manifest;

import java.io.IOException;

/** A manifest, index or image config that cannot be used; the message says which and why. */
public final class ManifestException extends IOException {
  public ManifestException(String message) {
    super(message);
  }
}
