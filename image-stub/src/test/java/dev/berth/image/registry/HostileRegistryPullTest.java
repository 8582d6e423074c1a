package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.image.ImageStore;
import dev.berth.image.registry.HostileRegistry.Body;
import dev.berth.image.registry.HostileRegistry.Served;
import dev.berth.image.store.Digest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PullImage through the CRI service against a registry that answers as an attacker would: each
 * answer is refused at its bound or its declared size with an error naming what and the limit,
 * the registry sees its connection closed long before it has sent what it meant to, other calls
 * are answered meanwhile, a caller that goes stops its download, and nothing is left in the
 * store. The bounds are asserted on what the registry managed to send: an unbounded read would
 * take it all (the daemon-level test shows the same against a 128 MiB heap).
 */
@Tag("integration")
@Timeout(180)
class HostileRegistryPullTest {

  /** Far more than any bound; the registry sends it only as fast as the client reads. */
  private static final long HUGE = 512L * 1024 * 1024;
  /** What may sit in socket buffers and the client's read-ahead beyond a bound. */
  private static final long SLACK = 48L * 1024 * 1024;
  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(2);

  @TempDir
  Path tmp;

  private HostileRegistry registry;
  private ImageStore store;
  private ImageServiceGrpc.ImageServiceBlockingStub cri;
  private RegistryPullFixture fixture;
  private final java.util.concurrent.ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
  private final byte[] config = HostileRegistry.configJson(2000);

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


  /** The tag serves a manifest of a layerless image whose config blob is the given body. */
  private Served imageWithConfig(String tag, long declaredSize, Body configBody) {
    Digest digest = Digest.of(config);
    registry.manifest(tag, Body.of(HostileRegistry.manifestJson(digest, declaredSize, List.of())));
    return registry.blob(digest, configBody);
  }

  private StatusRuntimeException pullFails(String tag) {
    return assertThrows(StatusRuntimeException.class, () -> cri.pullImage(pull(tag)));
  }

  private PullImageRequest pull(String tag) {
    return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(registry.reference(tag))).build();
  }

  private static void assertDescribes(StatusRuntimeException e, Status.Code code, String... parts) {
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    for (String part : parts) {
      assertTrue(e.getStatus().getDescription().contains(part), e.getStatus().getDescription());
    }
  }

  private static void assertClosedEarly(Served served, long bound) throws InterruptedException {
    assertTrue(served.awaitClientClosed(Duration.ofSeconds(60)), "the client never closed the connection");
    assertTrue(served.bytesSent() < bound + SLACK, "the registry sent " + served.bytesSent() + " bytes");
  }

  /** No image, no temp file; blobs only of the content the test expects to stay. */
  private void assertNothingLeft() throws Exception {
    assertEquals(0, cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!entries(tmp.resolve("store/tmp")).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20); // a stopped download deletes its temp file as it unwinds
    }
    assertEquals(List.of(), entries(tmp.resolve("store/tmp")), "temp files");
    assertEquals(List.of(), entries(tmp.resolve("store/blobs/sha256")), "blobs of a failed pull");
  }

  private static List<String> entries(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  /** On a thread of its own (the common pool may have a single thread on a 2-core node). */
  private <T> CompletableFuture<T> async(java.util.function.Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, callers);
  }

  @Test
  void aHugeTokenAnswerIsRefusedAtOneMebibyte() throws Exception {
    imageWithConfig("v1", config.length, Body.of(config));
    Served token = registry.requireToken(Body.endless("{\"token\":\"", (byte) 'a', HUGE));
    assertDescribes(pullFails("v1"), Status.Code.FAILED_PRECONDITION, "token answer", registry.host(),
        "the limit is 1 MiB");
    assertClosedEarly(token, 1 << 20);
    assertNothingLeft();
  }

  @Test
  void aHugeManifestIsRefusedAtFourMebibytes() throws Exception {
    Served manifest = registry.manifest("v1", Body.endless("{\"schemaVersion\":2,\"x\":\"", (byte) 'm', HUGE));
    assertDescribes(pullFails("v1"), Status.Code.FAILED_PRECONDITION, "manifest v1", "the limit is 4 MiB");
    assertClosedEarly(manifest, 4 << 20);
    assertNothingLeft();
  }

  @Test
  void aManifestAnnouncedHugeIsRefusedBeforeItsBodyIsRead() throws Exception {
    byte[] manifest = HostileRegistry.manifestJson(Digest.of(config), config.length, List.of());
    registry.manifest("v1", Body.announcing(manifest, 1L << 30));
    assertDescribes(pullFails("v1"), Status.Code.FAILED_PRECONDITION, "1073741824 bytes announced",
        "the limit is 4 MiB");
    assertNothingLeft();
  }

  @Test
  void aSixtyMegabyteConfigIsRefusedByItsDescriptorWithoutDownloadingIt() throws Exception {
    byte[] huge = HostileRegistry.configJson(60_000_000);
    Digest digest = Digest.of(huge);
    registry.manifest("v1", Body.of(HostileRegistry.manifestJson(digest, huge.length, List.of())));
    Served blob = registry.blob(digest, Body.of(huge));
    assertDescribes(pullFails("v1"), Status.Code.FAILED_PRECONDITION, "image config " + digest,
        "declares " + huge.length + " bytes", "the limit is 8 MiB");
    assertEquals(0, blob.requests(), "the config was downloaded");
    assertNothingLeft();
  }

  @Test
  void aBlobLargerThanItsDescriptorIsRefusedAsSoonAsItPassesTheDeclaredSize() throws Exception {
    // Declared as 1000 bytes; the registry would stream half a gibibyte.
    Served blob = imageWithConfig("v1", 1000, Body.endless("{", (byte) ' ', HUGE));
    assertDescribes(pullFails("v1"), Status.Code.DATA_LOSS, "blob " + Digest.of(config),
        "larger than the 1000 bytes its descriptor declares");
    assertClosedEarly(blob, 1000);
    assertNothingLeft();
  }

  @Test
  void aBlobShorterThanItsDescriptorIsRefused() throws Exception {
    imageWithConfig("v1", config.length, Body.cutAfter(config, 500));
    assertDescribes(pullFails("v1"), Status.Code.DATA_LOSS, "ended after 500 of its " + config.length);
    assertNothingLeft();
  }

  @Test
  void aContentLengthOtherThanTheDescriptorsIsRefusedBeforeReading() throws Exception {
    imageWithConfig("v1", config.length, Body.announcing(config, 4000));
    assertDescribes(pullFails("v1"), Status.Code.DATA_LOSS, "announces 4000 bytes",
        "declares " + config.length);
    assertNothingLeft();
  }

  @Test
  void aStalledManifestBodyFailsAfterTheProgressTimeout() throws Exception {
    byte[] manifest = HostileRegistry.manifestJson(Digest.of(config), config.length, List.of());
    registry.manifest("v1", Body.stalledAfter(manifest, 10));
    long start = System.nanoTime();
    assertDescribes(pullFails("v1"), Status.Code.UNAVAILABLE, "stalled", "progress timeout is 2 s",
        "reading manifest v1");
    assertTrue(System.nanoTime() - start >= PROGRESS_TIMEOUT.toNanos(), "failed before the timeout");
    assertNothingLeft();
  }

  @Test
  void aManifestDribbledAByteAtATimeIsStoppedLikeAStalledOne() throws Exception {
    // Each byte restarts no clock for a small document: the whole of it must come in time.
    byte[] manifest = HostileRegistry.manifestJson(Digest.of(config), config.length, List.of());
    Served served = registry.manifest("v1", Body.dribbled(manifest, Duration.ofMillis(100)));
    assertDescribes(pullFails("v1"), Status.Code.UNAVAILABLE, "stalled", "reading manifest v1");
    assertTrue(served.awaitClientClosed(Duration.ofSeconds(30)), "the client never closed the connection");
    assertTrue(served.bytesSent() < manifest.length, "the whole manifest was sent");
    assertNothingLeft();
  }

  @Test
  void aDribbledBlobStopsWhenItsCallerGoesAndALaterPullStartsAfresh() throws Exception {
    // Two thousand bytes at one every 50 ms: progress all the time, and a minute and a half to finish.
    Served blob = imageWithConfig("v1", config.length, Body.dribbled(config, Duration.ofMillis(50)));
    CompletableFuture<StatusRuntimeException> cancelled = async(() -> assertThrows(
        StatusRuntimeException.class, () -> cri.withDeadlineAfter(3, TimeUnit.SECONDS).pullImage(pull("v1"))));
    assertTrue(blob.awaitStarted(Duration.ofSeconds(30)), "the download never began");
    // Other calls are answered while it runs.
    assertEquals(0, cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
    assertFalse(cri.imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder()
        .setImage(registry.reference("v1"))).build()).hasImage());
    assertEquals(Status.Code.DEADLINE_EXCEEDED, cancelled.get(60, TimeUnit.SECONDS).getStatus().getCode());

    assertTrue(blob.awaitClientClosed(Duration.ofSeconds(30)), "the download went on after its caller had gone");
    assertTrue(blob.bytesSent() < config.length, "sent " + blob.bytesSent());
    assertNothingLeft();

    blob.answerWith(Body.of(config));
    assertEquals(Digest.of(config).toString(), cri.pullImage(pull("v1")).getImageRef());
  }

  @Test
  void oneCallerLeavingDoesNotStopTheSharedPullForTheOthers() throws Exception {
    byte[] small = HostileRegistry.configJson(300);
    Digest digest = Digest.of(small);
    registry.manifest("v1", Body.of(HostileRegistry.manifestJson(digest, small.length, List.of())));
    // 300 bytes at one every 15 ms: about 4.5 s, with progress all along.
    Served blob = registry.blob(digest, Body.dribbled(small, Duration.ofMillis(15)));
    CompletableFuture<String> patient = async(() -> cri.pullImage(pull("v1")).getImageRef());
    assertTrue(blob.awaitStarted(Duration.ofSeconds(30)));
    // Joins the running download, then leaves it.
    CompletableFuture<StatusRuntimeException> impatient = async(() -> assertThrows(
        StatusRuntimeException.class, () -> cri.withDeadlineAfter(1, TimeUnit.SECONDS).pullImage(pull("v1"))));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, impatient.get(60, TimeUnit.SECONDS).getStatus().getCode());
    assertEquals(digest.toString(), patient.get(60, TimeUnit.SECONDS));
    assertEquals(1, blob.requests(), "the two callers shared one download");
    assertFalse(blob.clientClosed());
  }

  @Test
  void pullsWaitingOnAStalledDownloadAllFailAfterTheProgressTimeoutNotForever() throws Exception {
    Served blob = imageWithConfig("v1", config.length, Body.stalledAfter(config, 100));
    List<CompletableFuture<StatusRuntimeException>> pulls = new ArrayList<>();
    pulls.add(async(() -> assertThrows(StatusRuntimeException.class,
        () -> cri.pullImage(pull("v1")))));
    assertTrue(blob.awaitStarted(Duration.ofSeconds(30)));
    pulls.add(async(() -> assertThrows(StatusRuntimeException.class,
        () -> cri.pullImage(pull("v1")))));
    for (CompletableFuture<StatusRuntimeException> p : pulls) {
      assertDescribes(p.get(60, TimeUnit.SECONDS), Status.Code.UNAVAILABLE, "stalled", "no progress for",
          "blob " + Digest.of(config));
    }
    assertNothingLeft();
    blob.answerWith(Body.of(config));
    assertEquals(Digest.of(config).toString(), cri.pullImage(pull("v1")).getImageRef());
  }

  @Test
  void aConfigIsParsedOnceAndServedFromMemoryAfterwards() throws Exception {
    imageWithConfig("v1", config.length, Body.of(config));
    String id = cri.pullImage(pull("v1")).getImageRef();
    // With the blob gone from disk, only a config kept in memory can still answer.
    Files.delete(tmp.resolve("store/blobs/sha256").resolve(Digest.of(config).hex()));
    for (int i = 0; i < 3; i++) {
      var listed = cri.listImages(ListImagesRequest.getDefaultInstance()).getImages(0);
      assertEquals(id, listed.getId());
      assertEquals(65534, listed.getUid().getValue());
      var status = cri.imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder()
          .setImage(registry.reference("v1"))).build());
      assertEquals(65534, status.getImage().getUid().getValue());
    }
  }
}
