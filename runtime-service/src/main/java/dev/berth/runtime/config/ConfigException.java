package dev.berth.runtime.config;

/** A configuration file, key or flag that cannot be used; the message names it. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
