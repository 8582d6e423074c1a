package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.TestImages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Image volumes (KEP-4639) through the socket: an image of plain files mounted read-only into a
 * busybox container, whole or one sub-directory, and held in use while mounted.
 */
@Tag("integration")
@Timeout(300)
class ImageVolumeTest {

  private static final String DATA_IMAGE = "docker.io/library/berth-data:v1";

  static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.start();
    Path rootfs = Files.createDirectories(env.dir().resolve("data-rootfs"));
    Files.createDirectories(rootfs.resolve("data/deeper"));
    Files.writeString(rootfs.resolve("data/hello.txt"), "hello from the image\n");
    Files.writeString(rootfs.resolve("data/deeper/inner.txt"), "inner\n");
    // A link that would lead out of the image if it were followed on the host.
    Files.createSymbolicLink(rootfs.resolve("escape"), Path.of("/etc"));
    TestImages.importFiles(env.daemon().client(), env.dir(), DATA_IMAGE, rootfs);
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  private static Mount.Builder imageVolume(String image, String subPath) {
    return Mount.newBuilder().setContainerPath("/iv").setImage(ImageSpec.newBuilder().setImage(image))
        .setImageSubPath(subPath).setReadonly(true);
  }

  private static String runWith(String pod, String name, Mount.Builder mount) {
    return env.runContainer(pod, env.containerConfig(name, "sleep", "600").addMounts(mount).build());
  }

  private static ExecSyncResponse exec(String id, String script) {
    return env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(10).build());
  }

  private static StatusRuntimeException refusedCreate(String pod, String name, Mount.Builder mount) {
    return assertThrows(StatusRuntimeException.class,
        () -> env.createContainer(pod, env.containerConfig(name, "true").addMounts(mount).build()));
  }

  private static void removeContainer(String id) {
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
  }

  @Test
  void theImagesFilesAreThereReadOnly() {
    String id = runWith(env.runPod(), "whole", imageVolume(DATA_IMAGE, ""));

    assertEquals("hello from the image", exec(id, "cat /iv/data/hello.txt").getStdout().toStringUtf8().trim());
    assertTrue(exec(id, "touch /iv/data/new 2>&1").getStdout().toStringUtf8().contains("Read-only file system"));
    assertTrue(env.status(id).getMountsList().stream().anyMatch(m -> m.getContainerPath().equals("/iv")
        && m.getImage().getImage().equals(DATA_IMAGE) && m.getReadonly()));
  }

  @Test
  void aSubPathMountsOneDirectoryOfTheImage() {
    String id = runWith(env.runPod(), "sub", imageVolume(DATA_IMAGE, "data/deeper"));

    assertEquals("inner", exec(id, "cat /iv/inner.txt").getStdout().toStringUtf8().trim());
    assertEquals(1, exec(id, "test -e /iv/hello.txt").getExitCode());
  }

  @Test
  void aSubPathThatLeavesTheImageOrIsMissingIsRefused() {
    String pod = env.runPod();
    for (String subPath : List.of("../../..", "/etc", "escape", "data/../escape")) {
      StatusRuntimeException e = refusedCreate(pod, "escape", imageVolume(DATA_IMAGE, subPath));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), subPath);
      assertTrue(e.getStatus().getDescription().contains("image_sub_path \"" + subPath + "\""),
          e.getStatus().getDescription());
    }
    StatusRuntimeException missing = refusedCreate(pod, "missing", imageVolume(DATA_IMAGE, "no/such/dir"));
    assertTrue(missing.getStatus().getDescription().contains("does not exist in image"),
        missing.getStatus().getDescription());
  }

  @Test
  void aMissingImageIsNotFound() {
    StatusRuntimeException e = refusedCreate(env.runPod(), "no-image",
        imageVolume("docker.io/library/not-pulled:v9", ""));

    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("image volume /iv: image \"docker.io/library/not-pulled:v9\""),
        e.getStatus().getDescription());
  }

  @Test
  void anImageInUseAsAVolumeIsNotRemovedUntilItsContainerIs() throws Exception {
    String image = "docker.io/library/berth-data:held";
    // Its own content and so its own image id: the other tests' volumes do not hold it.
    Path marker = Files.createDirectories(env.dir().resolve("held-rootfs"));
    Files.writeString(marker.resolve("held.txt"), "held\n");
    TestImages.importFiles(env.daemon().client(), env.dir(), image, marker);
    var images = ImageServiceGrpc.newBlockingStub(env.daemon().client().channel());
    String id = runWith(env.runPod(), "held", imageVolume(image, ""));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> images.removeImage(
        RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("in use as an image volume (" + id + "-v0)"),
        e.getStatus().getDescription());
    assertEquals("held", exec(id, "cat /iv/held.txt").getStdout().toStringUtf8().trim());

    removeContainer(id);
    images.removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
    assertTrue(!images.imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image))
        .build()).hasImage());
  }
}
