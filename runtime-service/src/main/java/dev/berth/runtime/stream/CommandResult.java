package dev.berth.runtime.stream;

/** How a remote command ended, as reported on the error stream. */
public sealed interface CommandResult {
  /** Exited with a status (0 is success). */
  record Exited(int code) implements CommandResult {}

  /** Could not run, or the runtime failed. */
  record Failed(String message) implements CommandResult {}
}
