package dev.berth.runtime.stats;

import dev.berth.runtime.model.Clock;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writable-layer usage per container, cached: walking an upper directory costs as much as the
 * files in it, and the kubelet asks every few seconds. A call gets the cached value; once that is
 * older than {@code maxAge} one background walk refreshes it (stale-while-revalidate). Only the
 * first call for a container walks in the caller's thread.
 */
public final class WritableLayers implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WritableLayers.class);

  private record Entry(LayerUsage usage, long walkedAtNanoTime) {}

  private final Function<String, Optional<Path>> upperDirs;
  private final String mountpoint;
  private final long maxAgeNanos;
  private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();
  private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
  private final ExecutorService walkers = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("layer-usage-", 0).factory());

  public WritableLayers(Function<String, Optional<Path>> upperDirs, String mountpoint, Duration maxAge) {
    this.upperDirs = upperDirs;
    this.mountpoint = mountpoint;
    this.maxAgeNanos = maxAge.toNanos();
  }

  public Optional<LayerUsage> usage(String containerId) {
    Entry entry = cache.get(containerId);
    if (entry == null) {
      return walk(containerId).map(Entry::usage);
    }
    if (System.nanoTime() - entry.walkedAtNanoTime() > maxAgeNanos && refreshing.add(containerId)) {
      walkers.execute(() -> {
        try {
          walk(containerId);
        } finally {
          refreshing.remove(containerId);
        }
      });
    }
    return Optional.of(entry.usage());
  }

  /** Forgets containers that are gone, so that the cache never outgrows the node. */
  public void retainOnly(Set<String> containerIds) {
    cache.keySet().retainAll(containerIds);
  }

  private Optional<Entry> walk(String containerId) {
    Optional<Path> upper = upperDirs.apply(containerId);
    if (upper.isEmpty()) {
      cache.remove(containerId);
      return Optional.empty();
    }
    try {
      long[] totals = new long[2];
      Set<Object> seen = new HashSet<>();
      Files.walkFileTree(upper.get(), new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          totals[1]++;
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          // A hard-linked file is one inode and its bytes count once.
          if (attrs.fileKey() == null || seen.add(attrs.fileKey())) {
            totals[1]++;
            if (attrs.isRegularFile()) {
              totals[0] += attrs.size();
            }
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE; // removed while we walked
        }
      });
      Entry entry = new Entry(new LayerUsage(totals[0], totals[1], mountpoint, Clock.nowNanos()), System.nanoTime());
      cache.put(containerId, entry);
      return Optional.of(entry);
    } catch (IOException e) {
      log.debug("writable layer of {}: {}", containerId, e.toString());
      cache.remove(containerId);
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    walkers.shutdownNow();
  }
}
