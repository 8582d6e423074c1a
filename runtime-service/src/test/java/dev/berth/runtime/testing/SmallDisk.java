package dev.berth.runtime.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a few megabytes mounted on a directory of its own, to run a daemon's root or state
 * on a disk that a test can fill up. {@link #close} unmounts it and removes the directory.
 */
public final class SmallDisk implements AutoCloseable {

  private final Path dir;

  private SmallDisk(Path dir) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of {@code size} (as mount(8) reads it, e.g. "64m") on a fresh short directory. */
  public static SmallDisk mount(String size) throws IOException, InterruptedException {
    Path dir = ShortTempDirs.create();
    run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "berth-test-disk", dir.toString());
    return new SmallDisk(dir);
  }

  public Path dir() {
    return dir;
  }

  /** Writes {@code file} until the disk is full; returns how many bytes it holds. */
  public long fill(Path file) throws IOException {
    byte[] block = new byte[64 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int size = block.length; size > 0; size /= 2) {
        try {
          while (true) {
            out.write(block, 0, size);
            out.flush();
            written += size;
          }
        } catch (IOException full) {
          // Try smaller writes until not even one byte fits.
        }
      }
    }
    return written;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    run("umount", dir.toString());
    Files.delete(dir);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: "
          + new String(process.getInputStream().readAllBytes()).strip());
    }
  }
}
