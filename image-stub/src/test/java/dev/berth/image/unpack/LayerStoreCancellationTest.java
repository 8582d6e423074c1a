package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.store.LayerRecord;
import dev.berth.linux.Syscalls;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unpack whose caller goes away (its thread interrupted) stops and leaves no temp directory;
 * a second caller that was waiting for the same layer unpacks it itself instead of failing too.
 * The layer's blob is a FIFO that the test feeds, so the first unpack is held mid-layer for as
 * long as the test wants.
 */
@Tag("integration") // owners are set as the layer says: root
@Timeout(120)
class LayerStoreCancellationTest {

  @TempDir
  Path tmp;

  @Test
  void aWaiterTakesOverAnUnpackWhoseCallerWasCancelled() throws Exception {
    byte[] tar = new LayerUnpackerTest.Tar().dir("d", 0755).file("d/a", "x".repeat(200_000), 0644, 0)
        .file("d/b", "second", 0644, 0).bytes();
    Digest diffId = Digest.of(tar);
    Path blobs = Files.createDirectories(tmp.resolve("blobs"));
    // The blob store finds the blob by name; its content is whatever the test writes into the FIFO.
    Digest blob = Digest.of(new byte[] {1, 2, 3});
    Syscalls.mknod(blobs.resolve(blob.hex()), Syscalls.S_IFIFO | 0600, 0, 0);
    LayerStore store = new LayerStore(tmp.resolve("layers"), new BlobStore(blobs, tmp.resolve("tmp")));
    LayerRecord layer = new LayerRecord(blob, MediaTypes.OCI_LAYER, tar.length, diffId);

    AtomicReference<Thread> ownerThread = new AtomicReference<>();
    CompletableFuture<Path> owner = ensureUnpackedInThread(store, layer, ownerThread);
    Path fifo = blobs.resolve(blob.hex());
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch stopFeeding = new CountDownLatch(1);
    feed(fifo, out -> {
      out.write(tar, 0, tar.length / 2);
      out.flush();
      halfSent.countDown();
      stopFeeding.await(); // holds the owner mid-layer
    });
    assertTrue(halfSent.await(60, TimeUnit.SECONDS), "the owner started reading the layer");

    AtomicReference<Thread> waiterThread = new AtomicReference<>();
    CompletableFuture<Path> waiter = ensureUnpackedInThread(store, layer, waiterThread);
    while (waiterThread.get().getState() != Thread.State.WAITING && !waiter.isDone()) {
      Thread.sleep(10);
    }
    // A fresh FIFO for whoever reads the blob next; the owner keeps the one it has open.
    Files.move(fifo, blobs.resolve("held-by-owner"));
    Syscalls.mknod(fifo, Syscalls.S_IFIFO | 0600, 0, 0);
    ownerThread.get().interrupt();
    // The writer's end closes too, so the owner ends even where the interrupt does not wake a read
    // blocked on a FIFO (it hung once in a loaded suite run); a blob in the store is a regular file.
    stopFeeding.countDown();
    Throwable failure = owner.handle((path, e) -> e).get(60, TimeUnit.SECONDS);
    assertInstanceOf(java.io.InterruptedIOException.class, failure, String.valueOf(failure));

    // The waiter now reads the blob itself, from the start.
    feed(fifo, out -> out.write(tar));
    Path unpacked = waiter.get(60, TimeUnit.SECONDS);
    assertEquals(store.path(diffId), unpacked);
    assertEquals("second", Files.readString(unpacked.resolve("d/b")));
    try (Stream<Path> entries = Files.list(tmp.resolve("layers"))) {
      assertEquals(List.of(unpacked), entries.toList(), "no temp directory stays");
    }
    assertTrue(store.isUnpacked(diffId));
  }

  @FunctionalInterface
  private interface Feeder {
    void write(OutputStream out) throws Exception;
  }

  /**
   * Writes into the FIFO from a daemon thread: opening a FIFO waits for its reader, in a call no
   * interrupt or test timeout ends, so the test itself never makes that call.
   */
  private static void feed(Path fifo, Feeder feeder) {
    Thread.ofPlatform().daemon().start(() -> {
      try (OutputStream out = Files.newOutputStream(fifo)) {
        feeder.write(out);
      } catch (Exception e) {
        // the reader went away (the interrupted owner): nothing more to send
      }
    });
  }

  /** A thread of its own for each caller: the common pool may have a single worker on a small machine. */
  private static CompletableFuture<Path> ensureUnpackedInThread(LayerStore store, LayerRecord layer,
      AtomicReference<Thread> thread) {
    CompletableFuture<Path> result = new CompletableFuture<>();
    Thread t = Thread.ofPlatform().daemon().unstarted(() -> {
      try {
        result.complete(store.ensureUnpacked(layer));
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    thread.set(t);
    t.start();
    return result;
  }
}
