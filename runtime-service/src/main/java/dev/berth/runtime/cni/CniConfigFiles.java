package dev.berth.runtime.cni;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The one place that decides which CNI config file is the pod network: the lexically first
 * {@code *.conf}, {@code *.conflist} or {@code *.json} in the config directory, the order CNI's
 * own libraries (and so containerd and CRI-O) use.
 */
public final class CniConfigFiles {

  private CniConfigFiles() {}

  /**
   * @return the chosen file, or empty when the directory holds none
   * @throws java.nio.file.NoSuchFileException when the directory does not exist
   */
  public static Optional<Path> first(Path confDir) throws IOException {
    try (Stream<Path> entries = Files.list(confDir)) {
      return entries.filter(CniConfigFiles::isConfigFile).sorted().findFirst();
    }
  }

  static boolean isConfigFile(Path path) {
    String name = path.getFileName().toString();
    return Files.isRegularFile(path)
        && (name.endsWith(".conf") || name.endsWith(".conflist") || name.endsWith(".json"));
  }
}
