package dev.berth.runtime.check;

/**
 * One thing a node needs, and whether it has it. A missing {@code required} thing stops Berth
 * from running pods; a missing optional one costs a feature and is a warning.
 */
public record Finding(String subject, boolean ok, boolean required, String detail) {

  static Finding present(String subject, boolean required, String detail) {
    return new Finding(subject, true, required, detail);
  }

  static Finding missing(String subject, boolean required, String detail) {
    return new Finding(subject, false, required, detail);
  }

  /** "ok", "MISSING" (required) or "warn" (optional), as {@code berth check} prints it. */
  public String verdict() {
    return ok ? "ok" : required ? "MISSING" : "warn";
  }
}
