package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.image.ImageStore;
import dev.berth.image.registry.HostileRegistry.Body;
import dev.berth.image.registry.HostileRegistry.Served;
import dev.berth.image.registry.HostileRegistry.Sink;
import dev.berth.image.store.Digest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull of a three-layer image whose layers the registry holds back until the test lets each go:
 * all three downloads are under way at once, a layer that has all its bytes is unpacked while the
 * ones below it still download, the image stacks them in the manifest's order whatever the order
 * of arrival (checked on a real overlay mount), and one layer failing its digest, or the caller
 * leaving, stops the others and leaves nothing in the store.
 */
@Tag("integration")
@Timeout(180)
class ParallelLayerPullTest {

  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(10);
  private static final int LAYER_FILE_BYTES = 256 * 1024;

  @TempDir
  Path tmp;

  private HostileRegistry registry;
  private ImageStore store;
  private ImageServiceGrpc.ImageServiceBlockingStub cri;
  private RegistryPullFixture fixture;
  private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

  /** One layer: its blob (gzip), the digest of its tar, and the latch that lets its second half go. */
  private record Layer(byte[] blob, Digest diffId, CountDownLatch gate) {
    Digest digest() {
      return Digest.of(blob);
    }
  }

  @BeforeEach
  void start() throws Exception {
    fixture = new RegistryPullFixture(tmp.resolve("store"), PROGRESS_TIMEOUT, callers);
    registry = fixture.registry;
    store = fixture.store;
    cri = fixture.cri;
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }


  @Test
  void layersDownloadTogetherAndUnpackAsTheyArriveYetStackInManifestOrder() throws Exception {
    // Every layer writes /order; layer 2 deletes layer 1's /gone; each keeps a file of its own.
    List<Layer> layers = List.of(
        layer(Map.of("order", "1", "gone", "from layer 1", "one", "1")),
        layer(Map.of("order", "2", ".wh.gone", "", "two", "2")),
        layer(Map.of("order", "3", "three", "3")));
    List<Served> served = serve("v1", layers, layers.stream().map(Layer::blob).toList());
    CompletableFuture<String> pull = async(() -> cri.pullImage(pull("v1")).getImageRef());

    for (Served s : served) {
      assertTrue(s.awaitStarted(Duration.ofSeconds(60)), "a layer's download did not start while the others ran");
    }
    // The top layer arrives first and is unpacked while the two below it are still downloading.
    layers.get(2).gate().countDown();
    awaitUnpacked(layers.get(2).diffId());
    assertFalse(isUnpacked(layers.get(0).diffId()));
    assertFalse(isUnpacked(layers.get(1).diffId()));
    assertFalse(pull.isDone(), "the image was recorded before all its layers were in");
    layers.get(1).gate().countDown();
    layers.get(0).gate().countDown();
    String imageId = pull.get(60, TimeUnit.SECONDS);

    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    store.mountRootfs("parallel-pull", imageId, rootfs);
    try {
      assertEquals("3", Files.readString(rootfs.resolve("order")), "the top layer is the manifest's last");
      assertFalse(Files.exists(rootfs.resolve("gone")), "layer 2's whiteout hides layer 1's file");
      assertEquals("1", Files.readString(rootfs.resolve("one")));
      assertEquals("2", Files.readString(rootfs.resolve("two")));
      assertEquals("3", Files.readString(rootfs.resolve("three")));
    } finally {
      store.releaseRootfs("parallel-pull", rootfs);
    }
    for (Served s : served) {
      assertEquals(1, s.requests());
    }
    assertEquals(List.of(), entries(tmp.resolve("store/tmp")));
  }

  @Test
  void twoImagesSharingALayerPulledAtOnceUnpackItOnceEachKeepingItsOwnBlob() throws Exception {
    Layer shared = layer(Map.of("base", "shared"));
    // The same tar compressed into another blob (the gzip header's time differs): one diffID.
    byte[] otherBlob = shared.blob().clone();
    otherBlob[4] ^= 1;
    Layer sharedAgain = new Layer(otherBlob, shared.diffId(), new CountDownLatch(1));
    List<Layer> first = List.of(shared, layer(Map.of("app", "first")));
    List<Layer> second = List.of(sharedAgain, layer(Map.of("app", "second")));
    List<Served> servedFirst = serve("first", first, first.stream().map(Layer::blob).toList());
    List<Served> servedSecond = serve("second", second, second.stream().map(Layer::blob).toList());
    first.get(1).gate().countDown();
    second.get(1).gate().countDown();
    CompletableFuture<String> pullFirst = async(() -> cri.pullImage(pull("first")).getImageRef());
    CompletableFuture<String> pullSecond = async(() -> cri.pullImage(pull("second")).getImageRef());
    assertTrue(servedFirst.get(0).awaitStarted(Duration.ofSeconds(60)));
    assertTrue(servedSecond.get(0).awaitStarted(Duration.ofSeconds(60)));
    shared.gate().countDown();
    sharedAgain.gate().countDown();

    String firstId = pullFirst.get(60, TimeUnit.SECONDS);
    String secondId = pullSecond.get(60, TimeUnit.SECONDS);
    assertFalse(firstId.equals(secondId));
    assertEquals(Set.of(shared.diffId().hex(), first.get(1).diffId().hex(), second.get(1).diffId().hex()),
        Set.copyOf(entries(tmp.resolve("store/layers"))), "the shared layer once, no temp dir");
    List<String> blobs = entries(tmp.resolve("store/blobs/sha256"));
    assertTrue(blobs.contains(shared.digest().hex()) && blobs.contains(sharedAgain.digest().hex()),
        "each image keeps the blob its manifest names: " + blobs);
    assertEquals(List.of(), entries(tmp.resolve("store/tmp")));
  }

  @Test
  void oneLayerFailingItsDigestStopsTheOthersAndLeavesNothing() throws Exception {
    List<Layer> layers = List.of(layer(Map.of("a", "1")), layer(Map.of("b", "2")), layer(Map.of("c", "3")));
    // Layer 2's bytes unpack to the right tar (its diffID matches) but are not the blob the
    // manifest names: the gzip header's time differs. Only the blob digest can tell.
    byte[] forged = layers.get(1).blob().clone();
    forged[4] ^= 1;
    List<Served> served = serve("v1", layers, List.of(layers.get(0).blob(), forged, layers.get(2).blob()));
    layers.get(1).gate().countDown(); // layers 1 and 3 stay held back, in flight
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cri.pullImage(pull("v1")));

    assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("blob " + layers.get(1).digest()), e.getStatus().getDescription());
    for (int i : new int[] {0, 2}) {
      assertTrue(served.get(i).awaitClientClosed(Duration.ofSeconds(30)), "layer " + (i + 1) + " kept downloading");
      assertTrue(served.get(i).bytesSent() < layers.get(i).blob().length, "layer " + (i + 1) + " was sent whole");
    }
    assertNothingLeft();
  }

  @Test
  void theCallerLeavingStopsEveryLayerInFlightAndLeavesNothing() throws Exception {
    List<Layer> layers = List.of(layer(Map.of("a", "1")), layer(Map.of("b", "2")), layer(Map.of("c", "3")));
    List<Served> served = serve("v1", layers, layers.stream().map(Layer::blob).toList());
    CompletableFuture<StatusRuntimeException> leaving = async(() -> assertThrows(StatusRuntimeException.class,
        () -> cri.withDeadlineAfter(3, TimeUnit.SECONDS).pullImage(pull("v1"))));

    assertEquals(Status.Code.DEADLINE_EXCEEDED, leaving.get(60, TimeUnit.SECONDS).getStatus().getCode());
    for (int i = 0; i < served.size(); i++) {
      assertTrue(served.get(i).awaitClientClosed(Duration.ofSeconds(30)), "layer " + (i + 1) + " kept downloading");
    }
    assertNothingLeft();
  }

  /** Serves the image at tag: its config, and each layer's body (held back by the layer's gate). */
  private List<Served> serve(String tag, List<Layer> layers, List<byte[]> bodies) {
    String diffIds = layers.stream().map(l -> "\"" + l.diffId() + "\"").collect(Collectors.joining(","));
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
        + diffIds + "]},\"config\":{\"Cmd\":[\"sh\"]}}").getBytes(StandardCharsets.UTF_8);
    registry.blob(Digest.of(config), Body.of(config));
    registry.manifest(tag, Body.of(HostileRegistry.manifestJson(Digest.of(config), config.length,
        layers.stream().map(l -> Map.entry(l.digest(), (long) l.blob().length)).toList())));
    List<Served> served = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      served.add(registry.blob(layers.get(i).digest(), heldBack(bodies.get(i), layers.get(i).gate())));
    }
    return served;
  }

  /**
   * Half the bytes at once, then one byte every 20 ms (progress, and a write that fails as soon as
   * the client has gone) until the gate opens, then the rest.
   */
  private static Body heldBack(byte[] bytes, CountDownLatch gate) {
    return new Body() {
      @Override
      public long contentLength() {
        return bytes.length;
      }

      @Override
      public void write(Sink sink, CountDownLatch closing) throws IOException, InterruptedException {
        int sent = bytes.length / 2;
        sink.write(bytes, 0, sent);
        while (!gate.await(20, TimeUnit.MILLISECONDS)) {
          if (closing.getCount() == 0 || sent == bytes.length - 1) {
            return;
          }
          sink.write(bytes, sent++, 1);
        }
        sink.write(bytes, sent, bytes.length - sent);
      }
    };
  }

  /** A gzip layer holding the files (name to content; a ".wh." name is a whiteout) and 256 KiB of noise. */
  private static Layer layer(Map<String, String> files) throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
      Map<String, byte[]> content = new LinkedHashMap<>();
      files.forEach((name, text) -> content.put(name, text.getBytes(StandardCharsets.UTF_8)));
      byte[] noise = new byte[LAYER_FILE_BYTES];
      new Random(files.hashCode()).nextBytes(noise);
      content.put("noise-" + Integer.toHexString(files.hashCode()), noise);
      for (Map.Entry<String, byte[]> file : content.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
        entry.setSize(file.getValue().length);
        entry.setMode(0644);
        out.putArchiveEntry(entry);
        out.write(file.getValue());
        out.closeArchiveEntry();
      }
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(tar.toByteArray());
    }
    return new Layer(gz.toByteArray(), Digest.of(tar.toByteArray()), new CountDownLatch(1));
  }

  private PullImageRequest pull(String tag) {
    return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(registry.reference(tag))).build();
  }

  private <T> CompletableFuture<T> async(java.util.function.Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, callers);
  }

  private boolean isUnpacked(Digest diffId) {
    return Files.isDirectory(tmp.resolve("store/layers").resolve(diffId.hex()));
  }

  private void awaitUnpacked(Digest diffId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!isUnpacked(diffId)) {
      assertTrue(System.nanoTime() < deadline, "layer " + diffId + " was not unpacked once its bytes were in");
      Thread.sleep(20);
    }
  }

  /** No image, no temp file or dir, no blob, no unpacked layer. */
  private void assertNothingLeft() throws Exception {
    assertEquals(0, cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!(entries(tmp.resolve("store/tmp")).isEmpty() && entries(tmp.resolve("store/layers")).isEmpty()
        && entries(tmp.resolve("store/blobs/sha256")).isEmpty()) && System.nanoTime() < deadline) {
      Thread.sleep(20); // the failed pull's garbage collection runs as it unwinds
    }
    assertEquals(List.of(), entries(tmp.resolve("store/tmp")), "temp files");
    assertEquals(List.of(), entries(tmp.resolve("store/layers")), "layers or their temp dirs");
    assertEquals(List.of(), entries(tmp.resolve("store/blobs/sha256")), "blobs of a failed pull");
  }

  private static List<String> entries(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
