package dev.berth.image.unpack;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.image.store.AtomicFiles;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.IncomingBlob;
import dev.berth.image.store.LayerRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every layer unpacked once, into {@code layers/<diffID hex>}. A layer is unpacked into a temp
 * directory and renamed into place when complete, so a directory with a digest name is always a
 * whole layer; two images sharing a layer, or two pulls racing, unpack it once.
 */
public final class LayerStore {

  private static final Logger log = LoggerFactory.getLogger(LayerStore.class);

  private final Path dir;
  private final BlobStore blobs;
  private final LayerUnpacker unpacker;
  private final ConcurrentHashMap<Digest, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();

  public LayerStore(Path dir, BlobStore blobs) throws IOException {
    this(dir, blobs, 0);
  }

  /** @param maxUnpackedBytes the most bytes of file content one layer may unpack to; 0 for no cap */
  public LayerStore(Path dir, BlobStore blobs, long maxUnpackedBytes) throws IOException {
    this.dir = PrivateDirectory.create(dir);
    this.blobs = blobs;
    this.unpacker = new LayerUnpacker(maxUnpackedBytes);
  }

  public Path path(Digest diffId) {
    return dir.resolve(diffId.hex());
  }

  public boolean isUnpacked(Digest diffId) {
    return Files.isDirectory(path(diffId));
  }

  /**
   * Unpacks the layer's blob unless done already; returns the layer directory. A caller that
   * finds the same layer being unpacked waits for it; when that unpack was cancelled (its
   * caller went away), the waiter unpacks the layer itself instead of failing with it.
   */
  public Path ensureUnpacked(LayerRecord layer) throws IOException {
    while (true) {
      if (isUnpacked(layer.diffId())) {
        return path(layer.diffId());
      }
      CompletableFuture<Path> mine = new CompletableFuture<>();
      CompletableFuture<Path> running = inFlight.putIfAbsent(layer.diffId(), mine);
      if (running == null) {
        return unpackAsOwner(layer, mine);
      }
      try {
        return running.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for layer " + layer.diffId());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof InterruptedIOException)) {
          throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        log.debug("unpack of layer {} was cancelled by its caller; unpacking it for another", layer.diffId());
      }
    }
  }

  /**
   * Stores the layer's blob from {@code body} (its download) and unpacks the layer from the same
   * bytes as they arrive: one pass hashes the blob, writes it to the blob store's temp file,
   * decompresses it and writes the layer's files. Only when the whole body has come, the tar's
   * diffID and the blob's digest both match, the blob is given its name and then the layer
   * directory its own; on any failure neither is left, not even as a temp file.
   *
   * <p>A layer already unpacked (by another image sharing it) only has its blob stored. One that
   * another caller is unpacking right now is not unpacked twice: the blob is stored, then this
   * waits for that unpack, or unpacks from the stored blob when that one is cancelled.
   */
  public Path unpackIncoming(LayerRecord layer, InputStream body, String what) throws IOException {
    if (isUnpacked(layer.diffId())) {
      blobs.write(body, layer.blob(), what);
      return path(layer.diffId());
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    if (inFlight.putIfAbsent(layer.diffId(), mine) != null) {
      blobs.write(body, layer.blob(), what);
      try {
        return ensureUnpacked(layer);
      } catch (IOException othersFailure) {
        if (Thread.currentThread().isInterrupted()) {
          throw othersFailure;
        }
        // That unpack failed on its own bytes (from another registry, say); these are verified.
        log.debug("unpack of layer {} by another pull failed ({}); unpacking it from this one's blob",
            layer.diffId(), othersFailure.getMessage());
        return ensureUnpacked(layer);
      }
    }
    return unpackAsOwner(layer, mine, () -> unpackWhileStoring(layer, body, what));
  }

  private Path unpackWhileStoring(LayerRecord layer, InputStream body, String what) throws IOException {
    Path target = path(layer.diffId());
    if (Files.isDirectory(target)) {
      // Unpacked by a pull that finished between the look above and this claim.
      blobs.write(body, layer.blob(), what);
      return target;
    }
    Path temp = dir.resolve(AtomicFiles.TEMP_PREFIX + UUID.randomUUID());
    Files.createDirectory(temp);
    long start = System.nanoTime();
    IncomingBlob blob = blobs.incoming(body, layer.blob(), what);
    try {
      try {
        unpacker.unpack(blob, temp, layer.diffId(), what);
      } catch (IOException e) {
        throw blob.explain(e);
      }
      blob.commit();
      Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.fsyncDirectory(dir);
    } finally {
      try {
        blob.discard();
      } finally {
        FileTrees.deleteRecursively(temp);
      }
    }
    log.debug("unpacked layer {} while downloading it in {} ms", layer.diffId(), (System.nanoTime() - start) / 1_000_000);
    return target;
  }

  @FunctionalInterface
  private interface Unpack {
    Path run() throws IOException;
  }

  private Path unpackAsOwner(LayerRecord layer, CompletableFuture<Path> mine) throws IOException {
    return unpackAsOwner(layer, mine, () -> unpack(layer));
  }

  private Path unpackAsOwner(LayerRecord layer, CompletableFuture<Path> mine, Unpack unpack) throws IOException {
    // Out of the map before the waiters wake, so that one retrying finds it free.
    try {
      Path done = unpack.run();
      inFlight.remove(layer.diffId(), mine);
      mine.complete(done);
      return done;
    } catch (IOException e) {
      IOException failure = asCancellation(e, layer);
      inFlight.remove(layer.diffId(), mine);
      mine.completeExceptionally(failure);
      throw failure;
    } catch (RuntimeException e) {
      inFlight.remove(layer.diffId(), mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * An interrupt shows as whatever the interrupted I/O threw (ClosedByInterruptException...);
   * waiters must see it as a cancellation to take the unpack over.
   */
  private static IOException asCancellation(IOException e, LayerRecord layer) {
    if (e instanceof InterruptedIOException || !Thread.currentThread().isInterrupted()) {
      return e;
    }
    InterruptedIOException cancelled = new InterruptedIOException("unpacking layer " + layer.diffId() + " was cancelled");
    cancelled.initCause(e);
    return cancelled;
  }

  private Path unpack(LayerRecord layer) throws IOException {
    Path target = path(layer.diffId());
    if (Files.isDirectory(target)) {
      return target;
    }
    Path temp = dir.resolve(AtomicFiles.TEMP_PREFIX + UUID.randomUUID());
    Files.createDirectory(temp);
    long start = System.nanoTime();
    try (InputStream in = blobs.open(layer.blob())) {
      unpacker.unpack(in, temp, layer.diffId(), "layer " + layer.blob());
      Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.fsyncDirectory(dir);
    } finally {
      FileTrees.deleteRecursively(temp);
    }
    log.debug("unpacked layer {} in {} ms", layer.diffId(), (System.nanoTime() - start) / 1_000_000);
    return target;
  }

  public Set<Digest> list() throws IOException {
    Set<Digest> all = new HashSet<>();
    try (Stream<Path> entries = Files.list(dir)) {
      entries.forEach(p -> {
        try {
          all.add(new Digest(p.getFileName().toString()));
        } catch (IllegalArgumentException e) {
          // a temp dir or a stray file
        }
      });
    }
    return all;
  }

  /** Deletes a layer; renamed away first so that a crash half way never leaves a partial layer. */
  public void delete(Digest diffId) throws IOException {
    Optional<Path> doomed = retire(diffId);
    if (doomed.isPresent()) {
      FileTrees.deleteRecursively(doomed.get());
    }
  }

  /**
   * Renames a layer away (it is gone from this store at once) and returns where it went, for the
   * caller to delete; what a crash leaves there is swept at start-up.
   */
  public Optional<Path> retire(Digest diffId) throws IOException {
    Path target = path(diffId);
    if (!Files.exists(target)) {
      return Optional.empty();
    }
    Path doomed = dir.resolve(AtomicFiles.TEMP_PREFIX + "del-" + UUID.randomUUID());
    Files.move(target, doomed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return Optional.of(doomed);
  }

  /** Removes what interrupted unpacks and deletes left behind. */
  public void sweepTemps() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        if (p.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX)) {
          log.info("removing {} left by an interrupted unpack", p);
          try {
            FileTrees.deleteRecursively(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }
  }
}
