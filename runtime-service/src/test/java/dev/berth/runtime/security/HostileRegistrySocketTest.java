package dev.berth.runtime.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ImageServiceGrpc.ImageServiceBlockingStub;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.image.registry.HostileRegistry;
import dev.berth.image.registry.HostileRegistry.Body;
import dev.berth.image.registry.HostileRegistry.Served;
import dev.berth.image.store.Digest;
import dev.berth.runtime.testing.PodTestEnv;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PullImage through the daemon's socket from registries that answer as attackers would. The
 * daemon runs with a 128 MiB heap and the registry offers half a gibibyte: a read without a bound
 * would end the daemon with OutOfMemoryError; instead each pull fails with an error naming what
 * and the limit, and the daemon goes on answering. One registry is reached as the mirror of a
 * host that does not resolve, as a node configures an air-gapped mirror.
 */
@Tag("integration")
@Timeout(300)
class HostileRegistrySocketTest {

  private static final long HUGE = 512L * 1024 * 1024;
  private static final long SLACK = 48L * 1024 * 1024;
  private static final String MIRRORED_HOST = "hostile.invalid";

  static HostileRegistry direct;
  static HostileRegistry mirror;
  static PodTestEnv env;
  static final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

  @BeforeAll
  static void start() throws Exception {
    direct = HostileRegistry.start();
    mirror = HostileRegistry.start();
    env = PodTestEnv.startWithTopLevelConfig("""
        [registry]
        pull_progress_timeout_seconds = 3
        [registry.mirrors]
        "%s" = ["http://%s"]
        """.formatted(MIRRORED_HOST, mirror.host()));
  }

  @AfterAll
  static void stop() throws Exception {
    callers.shutdownNow();
    try {
      if (env != null) {
        env.close();
      }
    } finally {
      if (direct != null) {
        direct.close();
      }
      if (mirror != null) {
        mirror.close();
      }
    }
  }

  private static ImageServiceBlockingStub images() {
    return env.daemon().client().images(Duration.ofMinutes(2));
  }

  private static PullImageRequest pull(String reference) {
    return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(reference)).build();
  }

  /** The daemon is alive and answers both services at once. */
  private static void assertDaemonAnswers() throws Exception {
    assertTrue(env.daemon().process().isAlive(), "the daemon has exited");
    assertFalse(env.daemon().output().contains("OutOfMemoryError"), "the daemon ran out of heap");
    var fast = env.daemon().client().runtime(Duration.ofSeconds(30));
    assertFalse(fast.version(VersionRequest.getDefaultInstance()).getRuntimeName().isEmpty());
    assertTrue(env.daemon().client().images(Duration.ofSeconds(30)).listImages(ListImagesRequest.getDefaultInstance())
        .getImagesList().stream().anyMatch(i -> i.getRepoTagsList().contains(PodTestEnv.IMAGE)));
  }

  private static void assertNoPartialDownloads() throws Exception {
    Path tmp = env.daemon().root().resolve("images").resolve("tmp");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!list(tmp).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(List.of(), list(tmp), "partial downloads left in the store's tmp");
  }

  private static List<String> list(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static void assertDescribes(StatusRuntimeException e, Status.Code code, String... parts) {
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    for (String part : parts) {
      assertTrue(e.getStatus().getDescription().contains(part), e.getStatus().getDescription());
    }
  }

  @Test
  void aTokenAnswerBiggerThanTheDaemonsHeapIsRefusedThroughAMirror() throws Exception {
    byte[] config = HostileRegistry.configJson(500);
    mirror.manifest("v1", Body.of(HostileRegistry.manifestJson(Digest.of(config), config.length, List.of())));
    mirror.blob(Digest.of(config), Body.of(config));
    Served token = mirror.requireToken(Body.endless("{\"token\":\"", (byte) 'a', HUGE));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> images().pullImage(pull(MIRRORED_HOST + "/" + HostileRegistry.REPOSITORY + ":v1")));
    // The mirror failed, so the host itself was tried next (and does not resolve): both are named.
    assertDescribes(e, e.getStatus().getCode(), "token answer", mirror.host(), "the limit is 1 MiB");
    assertTrue(token.awaitClientClosed(Duration.ofSeconds(60)), "the daemon never closed the token answer");
    assertTrue(token.bytesSent() < (1 << 20) + SLACK, "the token server sent " + token.bytesSent() + " bytes");
    assertDaemonAnswers();
    assertNoPartialDownloads();
  }

  @Test
  void aManifestBiggerThanTheDaemonsHeapIsRefused() throws Exception {
    Served manifest = direct.manifest("huge", Body.endless("{\"schemaVersion\":2,\"x\":\"", (byte) 'm', HUGE));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> images().pullImage(pull(direct.reference("huge"))));
    assertDescribes(e, Status.Code.FAILED_PRECONDITION, "manifest huge", "the limit is 4 MiB");
    assertTrue(manifest.awaitClientClosed(Duration.ofSeconds(60)));
    assertTrue(manifest.bytesSent() < (4 << 20) + SLACK, "sent " + manifest.bytesSent());
    assertDaemonAnswers();
  }

  @Test
  void aSixtyMegabyteConfigIsRefusedWithoutBeingDownloaded() throws Exception {
    byte[] huge = HostileRegistry.configJson(60_000_000);
    direct.manifest("bigconfig", Body.of(HostileRegistry.manifestJson(Digest.of(huge), huge.length, List.of())));
    Served blob = direct.blob(Digest.of(huge), Body.of(huge));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> images().pullImage(pull(direct.reference("bigconfig"))));
    assertDescribes(e, Status.Code.FAILED_PRECONDITION, "image config", "the limit is 8 MiB");
    assertEquals(0, blob.requests());
    assertFalse(images().imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(direct.reference("bigconfig"))).build()).hasImage());
    assertDaemonAnswers();
  }

  @Test
  void aBlobLongerThanItsDescriptorIsCutAtTheDeclaredSize() throws Exception {
    byte[] config = HostileRegistry.configJson(1000);
    direct.manifest("long", Body.of(HostileRegistry.manifestJson(Digest.of(config), config.length, List.of())));
    Served blob = direct.blob(Digest.of(config), Body.endless("{", (byte) ' ', HUGE));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> images().pullImage(pull(direct.reference("long"))));
    assertDescribes(e, Status.Code.DATA_LOSS, "larger than the " + config.length + " bytes its descriptor declares");
    assertTrue(blob.awaitClientClosed(Duration.ofSeconds(60)));
    assertTrue(blob.bytesSent() < SLACK, "sent " + blob.bytesSent());
    assertDaemonAnswers();
    assertNoPartialDownloads();
  }

  @Test
  void aStalledManifestFailsAfterTheConfiguredProgressTimeout() throws Exception {
    byte[] config = HostileRegistry.configJson(700);
    direct.manifest("stalled", Body.stalledAfter(
        HostileRegistry.manifestJson(Digest.of(config), config.length, List.of()), 5));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> images().pullImage(pull(direct.reference("stalled"))));
    assertDescribes(e, Status.Code.UNAVAILABLE, "stalled", "the progress timeout is 3 s", "reading manifest stalled");
    assertDaemonAnswers();
  }

  @Test
  void aDribbledBlobStopsWhenTheClientsDeadlinePassesAndALaterPullSucceeds() throws Exception {
    byte[] config = HostileRegistry.configJson(3000);
    String reference = direct.reference("dribble");
    direct.manifest("dribble", Body.of(HostileRegistry.manifestJson(Digest.of(config), config.length, List.of())));
    // A byte every 50 ms: progress all the time, two and a half minutes to finish.
    Served blob = direct.blob(Digest.of(config), Body.dribbled(config, Duration.ofMillis(50)));
    CompletableFuture<StatusRuntimeException> pull = CompletableFuture.supplyAsync(() -> assertThrows(
        StatusRuntimeException.class,
        () -> env.daemon().client().images(Duration.ofSeconds(4)).pullImage(pull(reference))), callers);
    assertTrue(blob.awaitStarted(Duration.ofSeconds(30)), "the download never began");
    assertDaemonAnswers();
    assertFalse(pull.isDone(), "the pull ended before the other calls were answered: " + pull);

    assertEquals(Status.Code.DEADLINE_EXCEEDED, pull.get(60, TimeUnit.SECONDS).getStatus().getCode());
    assertTrue(blob.awaitClientClosed(Duration.ofSeconds(30)), "the daemon went on downloading for nobody");
    assertTrue(blob.bytesSent() < config.length);
    assertNoPartialDownloads();

    // Not chained to the stopped download: a new pull starts afresh.
    blob.answerWith(Body.of(config));
    String id = images().pullImage(pull(reference)).getImageRef();
    assertEquals(Digest.of(config).toString(), id);
    images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(id)).build());
    assertDaemonAnswers();
  }
}
