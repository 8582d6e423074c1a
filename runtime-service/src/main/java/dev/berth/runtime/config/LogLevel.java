package dev.berth.runtime.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The levels accepted by {@code --log-level} and {@code log_level}. */
public enum LogLevel {
  TRACE, DEBUG, INFO, WARN, ERROR;

  public static LogLevel parse(String text, String where) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": unknown log level '" + text + "' (one of " + names() + ")");
    }
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  private static String names() {
    return Arrays.stream(values()).map(LogLevel::configName).collect(Collectors.joining(", "));
  }
}
