package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.unpack.LayerStore;
import dev.berth.linux.MountTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rootfs mounts of many containers at once, as 8 parallel CreateContainers make them (each
 * container's home has its own lock): every one gets its own overlay of the same layers, a
 * listing of the layers in use (the garbage collector's) runs throughout without failing, and
 * the parallel releases leave no mount and no home.
 */
@Tag("integration")
@Timeout(120)
class ParallelRootfsMountTest {

  private static final int CONTAINERS = 16;

  @TempDir
  Path tmp;

  @Test
  void containersMountAndReleaseInParallelEachOnItsOwnOverlay() throws Exception {
    LayerStore layers = new LayerStore(tmp.resolve("layers"), new BlobStore(tmp.resolve("blobs"), tmp.resolve("tmp")));
    Digest bottom = Digest.of("bottom".getBytes(StandardCharsets.UTF_8));
    Digest top = Digest.of("top".getBytes(StandardCharsets.UTF_8));
    Files.writeString(Files.createDirectories(layers.path(bottom)).resolve("from"), "bottom");
    Files.writeString(Files.createDirectories(layers.path(top)).resolve("from"), "top");
    OverlaySnapshotter snapshots = new OverlaySnapshotter(tmp.resolve("containers"), layers);

    AtomicBoolean mounting = new AtomicBoolean(true);
    try (ExecutorService pool = Executors.newFixedThreadPool(8);
        ExecutorService lister = Executors.newSingleThreadExecutor()) {
      Future<Integer> listings = lister.submit(() -> {
        int n = 0;
        while (mounting.get()) {
          Set<Digest> used = snapshots.layersInUse();
          assertTrue(Set.of(bottom, top).containsAll(used), used.toString());
          n++;
        }
        return n;
      });
      List<Future<?>> mounts = new ArrayList<>();
      for (int i = 0; i < CONTAINERS; i++) {
        String id = "c" + i;
        mounts.add(pool.submit(() -> {
          Path rootfs = tmp.resolve("rootfs").resolve(id);
          snapshots.mount(id, "image", List.of(bottom, top), rootfs);
          assertEquals("top", Files.readString(rootfs.resolve("from")));
          Files.writeString(rootfs.resolve("me"), id);
          return null;
        }));
      }
      for (Future<?> m : mounts) {
        m.get(60, TimeUnit.SECONDS);
      }
      for (int i = 0; i < CONTAINERS; i++) {
        Path rootfs = tmp.resolve("rootfs").resolve("c" + i);
        assertTrue(MountTable.isMountPoint(rootfs));
        assertEquals("c" + i, Files.readString(rootfs.resolve("me")), "a container saw another's upper dir");
      }
      assertEquals(Set.of(bottom, top), snapshots.layersInUse());

      List<Future<?>> releases = new ArrayList<>();
      for (int i = 0; i < CONTAINERS; i++) {
        String id = "c" + i;
        releases.add(pool.submit(() -> {
          snapshots.release(id, tmp.resolve("rootfs").resolve(id));
          return null;
        }));
      }
      for (Future<?> r : releases) {
        r.get(60, TimeUnit.SECONDS);
      }
      mounting.set(false);
      assertTrue(listings.get(60, TimeUnit.SECONDS) > 0);
    } finally {
      for (int i = 0; i < CONTAINERS; i++) {
        Path rootfs = tmp.resolve("rootfs").resolve("c" + i);
        while (MountTable.isMountPoint(rootfs)) {
          dev.berth.linux.Syscalls.umount2(rootfs, dev.berth.linux.Syscalls.MNT_DETACH);
        }
      }
    }
    for (int i = 0; i < CONTAINERS; i++) {
      assertFalse(MountTable.isMountPoint(tmp.resolve("rootfs").resolve("c" + i)));
    }
    try (Stream<Path> homes = Files.list(tmp.resolve("containers"))) {
      assertEquals(List.of(), homes.toList());
    }
    assertEquals(Set.of(), snapshots.layersInUse());
  }
}
