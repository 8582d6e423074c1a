package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.AuthConfig;
import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.image.ImageStore;
import dev.berth.image.RegistryHosts;
import dev.berth.image.TestImages;
import dev.berth.image.archive.ImageArchiveBuilder.BuiltImage;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PullImage against a real docker-registry on loopback, through the real CRI service. */
@Tag("integration")
class RegistryPullTest {

  @TempDir
  static Path shared;

  static LocalRegistry registry;
  static LocalRegistry secured;
  static BuiltImage image;

  @TempDir
  Path tmp;

  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void startRegistries() throws Exception {
    registry = LocalRegistry.start(Files.createDirectories(shared.resolve("open")), null, null);
    secured = LocalRegistry.start(Files.createDirectories(shared.resolve("secured")), "berth", "s3cret");
    Path archive = shared.resolve("bb.tar");
    image = TestImages.busyboxArchive(shared, "busybox:pushed", "pushed", archive);
    registry.push(archive, "test/bb:v1");
    registry.push(archive, "pause:3.10");
    registry.push(archive, "library/mirrored:latest");
    secured.push(archive, "private/bb:v1");
  }

  @AfterAll
  static void stopRegistries() throws Exception {
    if (registry != null) {
      registry.close();
    }
    if (secured != null) {
      secured.close();
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  private ImageServiceGrpc.ImageServiceBlockingStub cri(ImageStore store) throws Exception {
    String name = "pull-" + System.nanoTime();
    Server server = InProcessServerBuilder.forName(name).executor(Executors.newVirtualThreadPerTaskExecutor())
        .addService(store.criService()).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    open.add(() -> server.shutdownNow());
    open.add(() -> channel.shutdownNow());
    return ImageServiceGrpc.newBlockingStub(channel);
  }

  private ImageStore store(String name, RegistryHosts hosts) throws Exception {
    ImageStore store = ImageStore.open(tmp.resolve(name), hosts);
    open.add(store);
    return store;
  }

  private static PullImageRequest pull(String ref) {
    return PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref)).build();
  }

  @Test
  void pullByTagThenByDigest() throws Exception {
    var cri = cri(store("a", RegistryHosts.NONE));
    String ref = registry.host() + "/test/bb:v1";
    String id = cri.pullImage(pull(ref)).getImageRef();
    assertEquals(image.imageId(), id);
    var status = cri.imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref)).build());
    assertEquals(List.of(ref), status.getImage().getRepoTagsList());
    String repoDigest = status.getImage().getRepoDigests(0);
    assertTrue(repoDigest.startsWith(registry.host() + "/test/bb@sha256:"), repoDigest);

    var fresh = cri(store("b", RegistryHosts.NONE));
    assertEquals(image.imageId(), fresh.pullImage(pull(repoDigest)).getImageRef());
    var byDigest = fresh.listImages(ListImagesRequest.getDefaultInstance()).getImages(0);
    assertEquals(List.of(), byDigest.getRepoTagsList());
    assertEquals(List.of(repoDigest), byDigest.getRepoDigestsList());
  }

  @Test
  void concurrentPullsOfOneImageShareTheWork() throws Exception {
    var cri = cri(store("c", RegistryHosts.NONE));
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<String>> pulls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        pulls.add(pool.submit((Callable<String>) () -> cri.pullImage(pull(registry.host() + "/test/bb:v1")).getImageRef()));
      }
      for (Future<String> f : pulls) {
        assertEquals(image.imageId(), f.get());
      }
    }
    assertEquals(1, cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
  }

  @Test
  void mirrorServesRegistryK8sIoAndDockerHub() throws Exception {
    RegistryHosts hosts = new RegistryHosts(Map.of(
        "registry.k8s.io", List.of("http://" + registry.host()),
        "docker.io", List.of(registry.host())), Set.of());
    var cri = cri(store("m", hosts));
    assertEquals(image.imageId(), cri.pullImage(pull("registry.k8s.io/pause:3.10")).getImageRef());
    assertEquals(image.imageId(), cri.pullImage(pull("mirrored")).getImageRef());
    var tags = cri.listImages(ListImagesRequest.getDefaultInstance()).getImages(0).getRepoTagsList();
    assertTrue(tags.containsAll(List.of("registry.k8s.io/pause:3.10", "docker.io/library/mirrored:latest")), tags.toString());
  }

  @Test
  void basicAuthNeedsTheCredentials() throws Exception {
    var cri = cri(store("auth", RegistryHosts.NONE));
    String ref = secured.host() + "/private/bb:v1";
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cri.pullImage(pull(ref)));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(secured.host()), e.getStatus().getDescription());
    assertTrue(e.getStatus().getDescription().contains(ref), e.getStatus().getDescription());
    StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () -> cri.pullImage(pull(ref).toBuilder()
        .setAuth(AuthConfig.newBuilder().setUsername("berth").setPassword("nope")).build()));
    assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
    String id = cri.pullImage(pull(ref).toBuilder()
        .setAuth(AuthConfig.newBuilder().setUsername("berth").setPassword("s3cret")).build()).getImageRef();
    assertEquals(image.imageId(), id);
  }

  @Test
  void missingImageIsNotFoundNamingRegistryAndStatus() throws Exception {
    var cri = cri(store("nf", RegistryHosts.NONE));
    String ref = registry.host() + "/test/absent:v9";
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cri.pullImage(pull(ref)));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("HTTP 404"), e.getStatus().getDescription());
  }

  @Test
  void corruptBlobIsRefusedAndLeavesNoImage() throws Exception {
    // A registry of its own, whose stored layer is then damaged on disk.
    try (LocalRegistry broken = LocalRegistry.start(Files.createDirectories(tmp.resolve("broken")), null, null)) {
      Path archive = tmp.resolve("corrupt.tar");
      BuiltImage built = TestImages.busyboxArchive(tmp, "busybox:corrupt", "corrupt", archive);
      broken.push(archive, "test/corrupt:v1");
      Path data;
      try (Stream<Path> files = Files.walk(broken.storage())) {
        data = files.filter(p -> p.endsWith(Path.of(built.layerBlob().hex(), "data"))).findFirst().orElseThrow();
      }
      byte[] bytes = Files.readAllBytes(data);
      bytes[bytes.length / 2] ^= 0x55;
      Files.write(data, bytes);
      ImageStore store = store("corrupt", RegistryHosts.NONE);
      var cri = cri(store);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> cri.pullImage(pull(broken.host() + "/test/corrupt:v1")));
      assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("digest mismatch"), e.getStatus().getDescription());
      assertEquals(0, cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
      assertFalse(Files.exists(tmp.resolve("corrupt/blobs/sha256/" + built.layerBlob().hex())));
    }
  }
}
