package dev.berth.runtime.store;

import dev.berth.image.store.RecordFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

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

  /**
   * Writes the note as {@link #write} does, but returns as soon as a daemon killed from then on
   * would find it (written and renamed into place, in the page cache): its fsyncs (its content,
   * then its name in the object's directory) run on a virtual thread beside the caller's next
   * steps. The caller calls {@link Syncing#awaitDurable} before any side effect that outlives a
   * crash of the whole node (files on disk, CNI's address allocation); what it does before that
   * (namespaces, cgroups, mounts, processes) ends with the node anyway. A node crash before the
   * fsyncs end may leave no note or an unreadable one, and then nothing that needs undoing.
   */
  public static Syncing writeSyncingBeside(Path objectDir, Object intent) throws IOException {
    Path file = objectDir.resolve(FILE);
    AtomicFiles.write(file, RecordFormat.write(intent), AtomicFiles.Durability.NONE);
    CompletableFuture<Void> synced = new CompletableFuture<>();
    Thread.ofVirtual().name("creation-note-fsync").start(() -> {
      try {
        AtomicFiles.fsync(file);
        AtomicFiles.fsyncDirectory(objectDir);
        synced.complete(null);
      } catch (IOException | RuntimeException e) {
        synced.completeExceptionally(e);
      }
    });
    return new Syncing(file, synced);
  }

  /** A note whose fsyncs may still be running. */
  public static final class Syncing {
    private final Path file;
    private final CompletableFuture<Void> synced;

    private Syncing(Path file, CompletableFuture<Void> synced) {
      this.file = file;
      this.synced = synced;
    }

    /** Waits until the note survives a node crash; throws what the fsyncs met. */
    public void awaitDurable() throws IOException {
      try {
        synced.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw new IOException("fsync of " + file + ": " + e.getCause(), e.getCause());
      }
    }
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
