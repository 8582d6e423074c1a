package dev.berth.runtime.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps two daemons off one root. The lock is an fcntl lock on {@code <root>/berth.lock}, so the
 * kernel releases it when the holder dies, however it dies; the file holds the holder's pid so
 * that the refusal can name it.
 */
public final class RootLock implements AutoCloseable {

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private RootLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or throws {@link RootInUseException} naming the process that holds it. */
  public static RootLock acquire(Path root) throws IOException {
    Path file = root.resolve("berth.lock");
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
        throw new RootInUseException("root " + root + " is in use by another berth daemon (pid "
            + (holder.isEmpty() ? "unknown" : holder) + ", lock file " + file + ")");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(true);
      return new RootLock(file, channel, lock);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    // The file stays: removing it would let a third daemon lock a fresh inode while a second
    // still waits on the old one.
    lock.release();
    channel.close();
  }

  /** Another live daemon holds the root. */
  public static final class RootInUseException extends IOException {
    public RootInUseException(String message) {
      super(message);
    }
  }
}
