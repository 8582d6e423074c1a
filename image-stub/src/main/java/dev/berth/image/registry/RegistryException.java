package dev.berth.image.registry;

import java.io.IOException;

/** A pull that failed at a registry; the message names the registry, the reference and the cause. */
public final class RegistryException extends IOException {

  /** What kind of failure, so that the CRI layer can pick a gRPC code. */
  public enum Kind {
    NOT_FOUND, UNAUTHORIZED, UNAVAILABLE, PROTOCOL,
    /** An answer bigger than Berth holds in memory (token, manifest, config). */
    TOO_LARGE,
    /** A blob whose body is longer or shorter than its descriptor says. */
    SIZE_MISMATCH,
    /** No progress for the pull's progress timeout. */
    STALLED,
    /** Every caller of the pull has gone (cancelled, or past its deadline). */
    CANCELLED
  }

  private final Kind kind;

  public RegistryException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public RegistryException(Kind kind, String message) {
    this(kind, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
