package dev.berth.runtime.cli;

/** A command that ran but could not do its job; the message says why, for a person. */
final class CommandFailedException extends RuntimeException {
  CommandFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
