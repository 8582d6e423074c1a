package dev.berth.image.reference;

/** An image reference that the docker reference grammar rejects; the message names it. */
public final class InvalidReferenceException extends IllegalArgumentException {
  public InvalidReferenceException(String reference, String why) {
    super("invalid image reference \"" + reference + "\": " + why);
  }
}
