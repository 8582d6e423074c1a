package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ImageFsInfoRequest;
import dev.berth.cri.v1.ImageServiceGrpc.ImageServiceBlockingStub;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.image.TestImages;
import dev.berth.image.registry.LocalRegistry;
import dev.berth.runtime.testing.PodTestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ImageService through the daemon's socket: a pull from a real registry, then a container from it. */
@Tag("integration")
@Timeout(300)
class ImageServiceSocketTest {

  static PodTestEnv env;
  static LocalRegistry registry;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.start();
    Path work = Files.createDirectories(env.dir().resolve("registry-work"));
    registry = LocalRegistry.start(work.resolve("registry"), null, null);
    Path archive = work.resolve("pushed.tar");
    TestImages.busyboxArchive(work, "busybox:pushed", "pushed", archive);
    registry.push(archive, "berth/pulled:v1");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      registry.close();
    } finally {
      env.close();
    }
  }

  private static ImageServiceBlockingStub images() {
    return env.daemon().client().images(Duration.ofMinutes(2));
  }

  @Test
  void aPulledImageRunsAndCanBeRemoved() throws Exception {
    String reference = registry.host() + "/berth/pulled:v1";
    String imageRef = images().pullImage(PullImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(reference)).build()).getImageRef();
    assertTrue(imageRef.startsWith("sha256:"), imageRef);

    var status = images().imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(reference)).build());
    assertEquals(imageRef, status.getImage().getId());
    assertTrue(status.getImage().getRepoTagsList().contains(reference), status.getImage().toString());
    assertTrue(status.getImage().getRepoDigests(0).startsWith(registry.host() + "/berth/pulled@sha256:"));
    assertTrue(images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
        .anyMatch(image -> image.getId().equals(imageRef)));

    String pod = env.runPod();
    ContainerStatus ran = env.awaitExit(env.runContainer(pod,
        env.containerConfig("marker", "cat", "/etc/marker").setImage(ImageSpec.newBuilder().setImage(reference)).build()));
    assertEquals("pushed", env.logLines(ran).getFirst());
    assertTrue(images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0)
        .getUsedBytes().getValue() > 0);

    images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(imageRef)).build());
    images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(imageRef)).build());
    assertFalse(images().imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(reference)).build()).hasImage());
  }

  @Test
  void theDaemonGivesBackThePullsHeapOnceThePullsAreQuiet() throws Exception {
    long before = env.daemon().fullCollections();
    images().pullImage(PullImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(registry.host() + "/berth/pulled:v1")).build());
    // The collection waits for 2 s of quiet after the pull (HeapReleaseInterceptor); a loaded
    // machine may take longer.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long after = env.daemon().fullCollections();
    while (after == before && System.nanoTime() < deadline) {
      Thread.sleep(250);
      after = env.daemon().fullCollections();
    }
    assertTrue(after > before, "no full collection in the daemon after the pull: " + before + " before, " + after
        + " after");
  }
}
