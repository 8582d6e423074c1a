package dev.berth.image;

/** No image in the store answers to the reference, ID or repo digest; the message names it. */
public final class ImageNotFoundException extends Exception {
  public ImageNotFoundException(String reference) {
    super("image \"" + reference + "\" not found");
  }
}
