package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.linux.MountTable;
import dev.berth.linux.Syscalls;
import dev.berth.image.unpack.LayerStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rootfs mount that fails (too many layers, or the mount call itself) leaves no container
 * directory and no record: a record would pin the image's layers across restarts although no
 * container exists to be removed. Root: the second case reaches the real mount call.
 */
@Tag("integration")
class FailedMountLeavesNoRecordTest {

  @TempDir
  Path tmp;

  private LayerStore layers() throws IOException {
    return new LayerStore(tmp.resolve("layers"), new BlobStore(tmp.resolve("blobs"), tmp.resolve("tmp")));
  }

  private List<String> containerDirs() throws IOException {
    try (Stream<Path> list = Files.list(tmp.resolve("containers"))) {
      return list.map(p -> p.getFileName().toString()).toList();
    }
  }

  @Test
  void tooManyLayersLeaveNoRecord() throws IOException {
    LayerStore layers = layers();
    List<Digest> diffIds = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      Digest d = Digest.of(new byte[] {(byte) i});
      Files.createDirectories(layers.path(d));
      diffIds.add(d);
    }
    OverlaySnapshotter snapshots = new OverlaySnapshotter(tmp.resolve("containers"), layers);
    IOException e = assertThrows(IOException.class, () -> snapshots.mount("c1", "sha256:img", diffIds,
        tmp.resolve("rootfs")));
    assertTrue(e.getMessage().contains("too many layers"), e.getMessage());
    assertEquals(List.of(), containerDirs());
    assertEquals(Set.of(), snapshots.layersInUse());
  }

  @Test
  void aMountCallThatFailsLeavesNoRecord() throws IOException {
    LayerStore layers = layers();
    Digest d = Digest.of(new byte[] {1});
    Files.createDirectories(tmp.resolve("containers"));
    // A "layer" on procfs, which overlayfs refuses as a lower layer: the mount call fails after
    // the record is written.
    Files.createSymbolicLink(layers.path(d), Path.of("/proc/sys"));
    OverlaySnapshotter snapshots = new OverlaySnapshotter(tmp.resolve("containers"), layers);
    Path rootfs = tmp.resolve("rootfs");
    try {
      IOException e = assertThrows(IOException.class, () -> snapshots.mount("c1", "sha256:img", List.of(d), rootfs));
      assertTrue(e.getMessage().startsWith("mount overlay"), e.getMessage());
      assertEquals(List.of(), containerDirs());
      assertEquals(Set.of(), snapshots.layersInUse());
    } finally {
      if (MountTable.isMountPoint(rootfs)) {
        Syscalls.umount2(rootfs, Syscalls.MNT_DETACH);
      }
    }
  }
}
