package dev.berth.image.unpack;

import java.io.IOException;

/** A layer whose files add up to more than the configured cap on one layer's unpacked size. */
public final class LayerTooLargeException extends IOException {
  public LayerTooLargeException(String layer, long capBytes) {
    super(layer + " unpacks to more than " + capBytes + " bytes, the cap on one layer's unpacked size"
        + " (images.max_layer_unpacked_bytes)");
  }
}
