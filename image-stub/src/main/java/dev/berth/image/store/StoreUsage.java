package dev.berth.image.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * Bytes and inodes the image store itself uses (blobs, unpacked layers, container upper dirs),
 * as containerd reports its snapshotter's usage: not the whole filesystem's. A walk is costly,
 * so one result serves every call within a short window; the kubelet polls every few seconds.
 */
public final class StoreUsage {

  /** Usage of the store's directory tree. */
  public record Usage(long bytes, long inodes) {}

  private final Path root;
  private final Duration maxAge;
  private volatile Usage cached;
  private volatile long cachedAtNanos;

  public StoreUsage(Path root, Duration maxAge) {
    this.root = root;
    this.maxAge = maxAge;
  }

  public synchronized Usage current() throws IOException {
    long now = System.nanoTime();
    if (cached == null || now - cachedAtNanos > maxAge.toNanos()) {
      cached = walk();
      cachedAtNanos = now;
    }
    return cached;
  }

  private Usage walk() throws IOException {
    long[] totals = new long[2];
    // Hard links (layers share files with nothing else, but tars may link within a layer) count once.
    Set<Object> seen = new HashSet<>();
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          totals[1]++;
          totals[0] += attrs.size();
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          Object key = attrs.fileKey();
          if (key == null || seen.add(key)) {
            totals[1]++;
            totals[0] += attrs.isRegularFile() ? attrs.size() : 0;
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          // A file removed mid-walk (a pull's temp file) simply no longer counts.
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return new Usage(totals[0], totals[1]);
  }
}
