package dev.berth.shim;

/** A shim operation failed; the message carries conmon's or the runtime's own error text. */
public final class ShimException extends Exception {
  public ShimException(String message) {
    super(message);
  }

  public ShimException(String message, Throwable cause) {
    super(message, cause);
  }
}
