package dev.berth.runtime.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads the plain {@code berth serve} command lines that systemd and scripts use without picocli.
 * picocli's classes are Java 5 bytecode, which the JDK's AOT cache cannot hold: parsing with it
 * loads and verifies ~170 classes from its jar on every daemon start, the largest part of a
 * cached daemon's time before it serves. Anything this does not recognise (help, an unknown or
 * incomplete flag, a value that looks like a flag) goes to picocli as before, so that its
 * answers and errors stay the only ones a person sees.
 */
final class ServeArguments {

  private ServeArguments() {}

  /** The options of {@code serve ...}, or empty when picocli should read the line. */
  static Optional<ConfigOptions> parse(List<String> args) {
    if (args.isEmpty() || !args.getFirst().equals("serve")) {
      return Optional.empty();
    }
    ConfigOptions options = new ConfigOptions();
    for (int i = 1; i < args.size(); i++) {
      String arg = args.get(i);
      int equals = arg.indexOf('=');
      String name = equals > 0 ? arg.substring(0, equals) : arg;
      String value;
      if (equals > 0) {
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        return Optional.empty();
      }
      if (value.startsWith("-") || !set(options, name, value)) {
        return Optional.empty();
      }
    }
    return Optional.of(options);
  }

  /** The last of a repeated flag wins, as with picocli's overwritten options. */
  private static boolean set(ConfigOptions options, String name, String value) {
    switch (name) {
      case "--config" -> options.configFile = Path.of(value);
      case "--socket" -> options.socket = Path.of(value);
      case "--root" -> options.root = Path.of(value);
      case "--state" -> options.state = Path.of(value);
      case "--log-level" -> options.logLevel = value;
      case "--streaming-address" -> options.streamingAddress = value;
      case "--metrics-address" -> options.metricsAddress = value;
      default -> {
        return false;
      }
    }
    return true;
  }
}
