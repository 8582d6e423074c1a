package dev.berth.image.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Writes that a crash cannot leave half done: temp file, fsync, rename, fsync of the directory. */
public final class AtomicFiles {

  /** Temp files carry this prefix so that a restart can sweep what a crash left behind. */
  public static final String TEMP_PREFIX = ".tmp-";

  private AtomicFiles() {}

  public static void write(Path target, byte[] content) throws IOException {
    Path dir = target.getParent();
    PrivateDirectory.create(dir);
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      // Name the target: a failing write(2) says only "No space left on device", not which disk.
      throw new FileSystemException(target.toString(), null,
          e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.getMessage());
    }
    moveIntoPlace(temp, target);
  }

  /** Renames an already synced temp file over the target and syncs the directory entry. */
  public static void moveIntoPlace(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    fsyncDirectory(target.getParent());
  }

  public static void fsyncDirectory(Path dir) throws IOException {
    // Linux lets a directory be opened read-only and fsynced; that makes the rename durable.
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
