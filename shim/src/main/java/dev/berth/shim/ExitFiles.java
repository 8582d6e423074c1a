package dev.berth.shim;

import dev.berth.shim.internal.ShimPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads conmon's exit files: the exit status as decimal text. conmon writes them with a
 * temp file and a rename, so a file that exists is complete; its mtime is the finish time.
 */
final class ExitFiles {
  private static final Logger log = LoggerFactory.getLogger(ExitFiles.class);

  private final ShimPaths paths;

  ExitFiles(ShimPaths paths) {
    this.paths = paths;
  }

  /** The exit-dir file first; the copy in the persist dir outlives a cleaned exit dir. */
  public Optional<ExitRecord> read(String id) {
    return read(paths.exitFile(id)).or(() -> read(paths.persistedExitFile(id)));
  }

  public static Optional<ExitRecord> read(Path file) {
    try {
      String text = Files.readString(file).strip();
      if (text.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new ExitRecord(Integer.parseInt(text), Files.getLastModifiedTime(file).toInstant()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | NumberFormatException e) {
      log.warn("unreadable exit file {}: {}", file, e.toString());
      return Optional.empty();
    }
  }
}
