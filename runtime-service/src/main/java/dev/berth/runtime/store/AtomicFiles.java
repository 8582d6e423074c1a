package dev.berth.runtime.store;

import dev.berth.image.store.PrivateDirectory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content:
 * temp file in the same directory, fsync, rename over the target, fsync the directory. A write
 * that need not survive a crash of the whole node may skip the fsyncs and stays atomic.
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /** How much of a replacement is sure to survive a crash of the whole node (a daemon kill loses none of it). */
  public enum Durability {
    /** No fsync: still atomic, but a node crash may bring back the content it replaced. */
    NONE,
    /**
     * The file's content is on disk before its name points at it (never an empty file after a
     * crash), but the rename itself may be lost: for a file whose loss a durable note undoes.
     */
    CONTENT,
    /** Content and name: fsync of the file, then of its directory. */
    FULL
  }

  public static void write(Path target, byte[] content) throws IOException {
    write(target, content, Durability.FULL);
  }

  /**
   * @param durable false skips both fsyncs: the replacement is still atomic (never half a file),
   *     but a crash of the whole node may bring back the content it replaced
   */
  public static void write(Path target, byte[] content, boolean durable) throws IOException {
    write(target, content, durable ? Durability.FULL : Durability.NONE);
  }

  public static void write(Path target, byte[] content, Durability durability) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    PrivateDirectory.create(dir);
    Path temp = dir.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
        + Thread.currentThread().threadId());
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (durability != Durability.NONE) {
        channel.force(true);
      }
    } catch (IOException e) {
      // The target is untouched; a half-written temp file would only hold on to space a full disk lacks.
      Files.deleteIfExists(temp);
      throw new FileSystemException(target.toString(), null,
          e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.getMessage());
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    if (durability == Durability.FULL) {
      fsyncDirectory(dir);
    }
  }

  /** fsync of one file's content (and its size), through a read-only descriptor. */
  public static void fsync(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /**
   * Deletes the temp files a daemon killed mid-write left in {@code dir} (not below it); run at
   * start-up, before anything writes there.
   */
  public static void removeTempFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.filter(AtomicFiles::isTempFile).toList()) {
        Files.deleteIfExists(entry);
      }
    }
  }

  /** Whether a file name is one of our own temp files, left behind by a crash mid-write. */
  public static boolean isTempFile(Path file) {
    String name = file.getFileName().toString();
    return name.startsWith(".") && name.contains(".tmp-");
  }
}
