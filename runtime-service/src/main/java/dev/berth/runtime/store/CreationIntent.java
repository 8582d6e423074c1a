package dev.berth.runtime.store;

import dev.berth.image.store.RecordFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A note that an object is being created, {@code <object dir>/creating.json}, written before the
 * create's first side effect and removed once the object's record is saved. A daemon killed in
 * between finds the note at start-up and knows, from what it holds, what to undo; an object dir
 * with a note and no record is half made, never live. Notes are written in the versioned
 * {@link RecordFormat}; one of a newer format (a newer Berth died mid-create, then was rolled
 * back) reads as unreadable, and its object is undone by id alone.
 */
public final class CreationIntent {

  public static final String FILE = "creating.json";

  private CreationIntent() {}

  /** Writes the note durably (fsync, as records are) before anything else of the object exists. */
  public static void write(Path objectDir, Object intent) throws IOException {
    AtomicFiles.write(objectDir.resolve(FILE), RecordFormat.write(intent));
  }

  /** The create finished: its record now says everything. */
  public static void remove(Path objectDir) throws IOException {
    Files.deleteIfExists(objectDir.resolve(FILE));
  }

  public static boolean exists(Path objectDir) {
    return Files.exists(objectDir.resolve(FILE));
  }

  /** The note, when there is one; an unreadable note is empty too (the caller undoes by id alone). */
  public static <T> Optional<T> read(Path objectDir, Class<T> type) {
    Path file = objectDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(RecordFormat.read(file, Files.readAllBytes(file), type));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
