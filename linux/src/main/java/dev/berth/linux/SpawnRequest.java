package dev.berth.linux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One process for {@link PosixSpawn}: its argv (the first element is the program, looked up in
 * the PATH when it has no slash), its whole environment, the directory it starts in, and what its
 * file descriptors are, in the order the child sets them up.
 */
public record SpawnRequest(List<String> argv, Map<String, String> environment, Path workDir,
    List<FileAction> fileActions) {

  public SpawnRequest {
    if (argv.isEmpty() || argv.getFirst().isEmpty()) {
      throw new IllegalArgumentException("a spawn needs a program");
    }
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("an argument holds a NUL byte: " + arg.replace('\0', '?'));
      }
    }
    argv = List.copyOf(argv);
    environment = Map.copyOf(environment);
    fileActions = List.copyOf(fileActions);
  }

  /** One step of the child's fd set-up, run between its fork and its exec. */
  public sealed interface FileAction {
  }

  /** {@code fd = open(path, flags, mode)}. */
  public record Open(int fd, Path path, int flags, int mode) implements FileAction {
  }

  /** {@code dup2(from, to)}. */
  public record Dup2(int from, int to) implements FileAction {
  }

  /** Closes every fd from {@code lowest} up: the JVM holds many without O_CLOEXEC. */
  public record CloseFrom(int lowest) implements FileAction {
  }

  /** The environment as {@code NAME=value} strings, sorted so that a spawn is reproducible. */
  public List<String> environmentStrings() {
    List<String> entries = new ArrayList<>();
    environment.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(entry -> entries.add(entry.getKey() + "=" + entry.getValue()));
    return entries;
  }
}
