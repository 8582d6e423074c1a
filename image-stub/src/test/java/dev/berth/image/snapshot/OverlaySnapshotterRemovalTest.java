package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.image.store.BlobStore;
import dev.berth.image.store.Digest;
import dev.berth.image.unpack.LayerStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A removed container's directory is renamed out of the way under the snapshotter's lock and
 * deleted outside it; what a crash leaves of such a removal is deleted when the store opens.
 */
class OverlaySnapshotterRemovalTest {

  @TempDir
  Path tmp;

  private OverlaySnapshotter open() throws Exception {
    LayerStore layers = new LayerStore(tmp.resolve("layers"), new BlobStore(tmp.resolve("blobs"), tmp.resolve("tmp")));
    return new OverlaySnapshotter(tmp.resolve("containers"), layers);
  }

  private List<String> entries() throws Exception {
    try (Stream<Path> list = Files.list(tmp.resolve("containers"))) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void releaseDeletesTheWholeDirectoryAndItsRecordAndIsIdempotent() throws Exception {
    OverlaySnapshotter snapshots = open();
    Path home = Files.createDirectories(tmp.resolve("containers/c1/upper/a/b"));
    Files.writeString(home.resolve("file"), "written by the container");
    Files.writeString(tmp.resolve("containers/c1/snapshot.json"),
        "{\"imageId\":\"i\",\"layers\":[\"" + Digest.of(new byte[] {1}) + "\"]}");
    Files.createDirectories(tmp.resolve("containers/c2"));
    Files.writeString(tmp.resolve("containers/c2/snapshot.json"), "{\"imageId\":\"i\",\"layers\":[]}");

    snapshots.release("c1", null);
    snapshots.release("c1", null);

    assertEquals(List.of("c2"), entries());
    assertEquals(Set.of(), snapshots.layersInUse());
  }

  @Test
  void aRemovalInterruptedByACrashIsFinishedWhenTheStoreOpens() throws Exception {
    Files.createDirectories(tmp.resolve("containers/.removing-c1-123/upper/deep/er"));
    Files.writeString(tmp.resolve("containers/.removing-c1-123/upper/deep/er/file"), "x");
    Files.createDirectories(tmp.resolve("containers/c2/upper"));

    open();

    assertEquals(List.of("c2"), entries());
  }
}
