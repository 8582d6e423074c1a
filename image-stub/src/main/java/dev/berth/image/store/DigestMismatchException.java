package dev.berth.image.store;

import java.io.IOException;

/** Content whose sha256 is not the one it was fetched or named by; never a mere warning. */
public final class DigestMismatchException extends IOException {
  private final Digest expected;
  private final Digest actual;

  public DigestMismatchException(String what, Digest expected, Digest actual) {
    super(what + ": digest mismatch, expected " + expected + " but the content is " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
