package dev.berth.image.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.image.ImageStore;
import dev.berth.image.RegistryHosts;
import dev.berth.image.archive.ImageArchiveBuilder;
import dev.berth.image.manifest.ImageConfig;
import dev.berth.image.store.Digest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An imported image's config is held to the same bound as a pulled one's. */
class ImageConfigBoundTest {

  @TempDir
  Path tmp;

  @Test
  void anArchiveWhoseConfigIsAboveTheLimitIsRefusedAndLeavesNoImage() throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.writeString(rootfs.resolve("hello"), "hello\n");
    Path archive = tmp.resolve("big-config.tar");
    // A label of 9 MiB makes the config bigger than the 8 MiB limit.
    ImageArchiveBuilder.BuiltImage built = ImageArchiveBuilder.fromDirectory(rootfs).name("big/config:v1")
        .label("padding", "p".repeat(ImageConfig.MAX_BYTES + (1 << 20))).writeTo(archive);
    try (ImageStore store = ImageStore.open(tmp.resolve("store"), RegistryHosts.NONE)) {
      String name = "bound-" + System.nanoTime();
      Server server = InProcessServerBuilder.forName(name).executor(Executors.newVirtualThreadPerTaskExecutor())
          .addService(store.criService()).addService(store.adminService()).build().start();
      ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
      try {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ImagesGrpc.newBlockingStub(channel)
            .import_(ImportRequest.newBuilder().setPath(archive.toString()).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("the limit is 8 MiB"), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().contains(built.config().toString()), e.getStatus().getDescription());
        assertEquals(0, ImageServiceGrpc.newBlockingStub(channel).listImages(ListImagesRequest.getDefaultInstance())
            .getImagesCount());
        assertFalse(Files.exists(tmp.resolve("store/layers").resolve(built.diffId().hex())), "a layer was unpacked");
      } finally {
        channel.shutdownNow();
        server.shutdownNow();
      }
    }
  }

  @Test
  void aConfigWithinTheLimitIsParsedOnceAndKept() throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("store-blobs"));
    var blobs = new dev.berth.image.store.BlobStore(rootfs.resolve("blobs"), rootfs.resolve("tmp"));
    ImageConfigs configs = new ImageConfigs(blobs);
    byte[] json = "{\"config\":{\"User\":\"7\"},\"rootfs\":{\"diff_ids\":[]}}".getBytes();
    Digest digest = blobs.write(json, null, "config");
    ImageConfig first = configs.get(digest, "config");
    assertEquals("7", first.user());
    blobs.delete(digest);
    assertTrue(configs.get(digest, "config") == first, "parsed again instead of kept");
    configs.forget(digest);
    assertThrows(java.io.IOException.class, () -> configs.get(digest, "config"));
    assertEquals(List.of(), List.copyOf(blobs.list()));
  }
}
