package dev.berth.runtime.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.Container;
import dev.berth.cri.v1.ContainerFilter;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.ImageFsInfoRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.image.archive.ImageArchiveBuilder;
import dev.berth.image.unpack.FileTrees;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.StallingRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slow call for one pod (a stop waiting out a container that ignores SIGTERM, a pull stuck on
 * its registry) holds up nothing else: a whole lifecycle of another pod runs from start to end
 * while the slow call is still in progress. The assertions are about order (the slow call had not
 * returned when everything else was done), not about times.
 */
@Tag("integration")
@Timeout(300)
class SlowCallIsolationTest extends PodTestCase {

  /** The stop timeout given to the stubborn container: it takes this long, then SIGKILL. */
  private static final long SLOW_STOP_SECONDS = 30;

  @Test
  void aStopWaitingOutSigtermHoldsUpNoOtherPod() throws Exception {
    String slowPod = env.runPod();
    // Traps TERM to say it got it, and carries on; `wait` returns on the signal, the loop waits again.
    String stubborn = env.runContainer(slowPod, env.containerConfig("stubborn", "sh", "-c",
        "trap 'echo got TERM' TERM; echo ready; while :; do sleep 1000 & wait; done").build());
    awaitLog(stubborn, "ready");

    CompletableFuture<Void> slowStop = CompletableFuture.runAsync(() -> env.daemon().client()
        .runtime(Duration.ofSeconds(SLOW_STOP_SECONDS + 60)).stopContainer(StopContainerRequest.newBuilder()
            .setContainerId(stubborn).setTimeout(SLOW_STOP_SECONDS).build()));
    // The stop is under way once the container has had its SIGTERM; from here it waits.
    awaitLog(stubborn, "got TERM");

    lifecycleOfAnotherPod(List.of(stubborn));
    ContainerStatus meanwhile = env.status(stubborn);
    assertEquals(ContainerState.CONTAINER_RUNNING, meanwhile.getState(), "the stubborn container, still stopping");
    assertFalse(slowStop.isDone(), "the slow stop returned before the other pod's calls were all done, so they"
        + " proved nothing; or it failed: " + slowStop);

    slowStop.get(SLOW_STOP_SECONDS + 90, TimeUnit.SECONDS);
    ContainerStatus stopped = env.status(stubborn);
    assertEquals(ContainerState.CONTAINER_EXITED, stopped.getState());
    assertEquals(128 + 9, stopped.getExitCode(), "killed with SIGKILL after the stop timeout: " + stopped);
    removePod(slowPod);
  }

  @Test
  void aPullStuckOnItsRegistryHoldsUpNoPodAndNoImageCall() throws Exception {
    try (StallingRegistry registry = StallingRegistry.start(env.dir())) {
      String reference = registry.host() + "/slow/app:v1";
      CompletableFuture<String> pull = CompletableFuture.supplyAsync(() -> env.daemon().client()
          .images(Duration.ofMinutes(4)).pullImage(PullImageRequest.newBuilder()
              .setImage(ImageSpec.newBuilder().setImage(reference)).build()).getImageRef());
      assertTrue(registry.awaitStalled(60), "the pull never reached the layer download");

      lifecycleOfAnotherPod(List.of());
      var images = env.daemon().client().images(Duration.ofSeconds(60));
      assertTrue(images.imageStatus(ImageStatusRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(PodTestEnv.IMAGE)).build()).hasImage());
      assertFalse(images.imageStatus(ImageStatusRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(reference)).build()).hasImage(),
          "an image half pulled is not there yet");
      assertTrue(images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
          .anyMatch(image -> image.getRepoTagsList().contains(PodTestEnv.IMAGE)));
      images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
      assertFalse(pull.isDone(), "the pull returned before the other calls were all done, so they proved nothing;"
          + " or it failed: " + pull);

      registry.release();
      String imageRef = pull.get(120, TimeUnit.SECONDS);
      assertTrue(images.imageStatus(ImageStatusRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(reference)).build()).getImage().getId().equals(imageRef));
      images.removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(imageRef)).build());
      assertFalse(images.imageStatus(ImageStatusRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(reference)).build()).hasImage());
    }
  }

  @Test
  void removingAContainerWithABigWritableLayerHoldsUpNoOtherCreate() throws Exception {
    String bigPod = env.runPod();
    // 40 000 directories in its writable layer: deleting them takes the daemon seconds.
    String big = env.runContainer(bigPod, env.containerConfig("big", "sh", "-c",
        "mkdir /fill && cd /fill && seq 1 40000 | xargs mkdir && echo filled && exec sleep 1000").build());
    awaitLog(big, "filled", Duration.ofMinutes(3));
    String otherPod = env.runPod();
    String rootfs = Leftovers.mounts(env.dir()).stream().filter(m -> m.contains(big) && m.endsWith("/rootfs"))
        .findFirst().orElseThrow(() -> new AssertionError("no rootfs mount for " + big));

    CompletableFuture<Void> removal = CompletableFuture.runAsync(() -> env.daemon().client()
        .runtime(Duration.ofMinutes(3)).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(big).build()));
    // Unmounted: the removal has reached the writable layer and is deleting it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (Leftovers.mounts(env.dir()).contains(rootfs) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    // A create mounts a rootfs, which a removal deleting its writable layer under a lock would hold up.
    String other = env.createContainer(otherPod, env.containerConfig("other", "sh", "-c",
        "trap 'exit 0' TERM; sleep 1000 & wait").build());
    assertFalse(removal.isDone(), "the removal returned before another pod's container was created;"
        + " or it failed: " + removal);
    env.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(other).build());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(other).getState());

    removal.get(3, TimeUnit.MINUTES);
    assertEquals(List.of(), env.runtime().listContainers(ListContainersRequest.newBuilder()
        .setFilter(ContainerFilter.newBuilder().setPodSandboxId(bigPod)).build()).getContainersList());
    removePod(otherPod);
    removePod(bigPod);
  }

  @Test
  void removingAnImageWithABigLayerHoldsUpNoCreate() throws Exception {
    // 30 000 directories in one layer: the garbage collection that follows RemoveImage takes seconds to delete them.
    Path rootfs = Files.createDirectories(env.dir().resolve("big-layer"));
    for (int i = 0; i < 30_000; i++) {
      Files.createDirectory(rootfs.resolve(Integer.toString(i)));
    }
    Path archive = env.dir().resolve("big-layer.tar");
    ImageArchiveBuilder.fromDirectory(rootfs).name("berth.test/big-layer:v1").cmd(List.of("sh")).writeTo(archive);
    FileTrees.deleteRecursively(rootfs);
    String image = ImagesGrpc.newBlockingStub(env.daemon().client().channel()).withDeadlineAfter(5, TimeUnit.MINUTES)
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build()).getImages(0).getId();
    Files.delete(archive);
    String pod = env.runPod();
    Path layers = env.daemon().root().resolve("images").resolve("layers");

    CompletableFuture<Void> removal = CompletableFuture.runAsync(() -> env.daemon().client()
        .images(Duration.ofMinutes(3)).removeImage(RemoveImageRequest.newBuilder()
            .setImage(ImageSpec.newBuilder().setImage(image)).build()));
    // A layer renamed away for deletion: the collection has decided and is deleting it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!hasEntryStartingWith(layers, ".tmp-del-") && !removal.isDone() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    // A create leases its image's layers from the collector, which a deletion under its lock would hold up.
    String container = env.createContainer(pod, env.containerConfig("meanwhile", "sh", "-c", "echo hi").build());
    assertFalse(removal.isDone(), "the image removal returned before another pod's container was created;"
        + " or it failed: " + removal);

    removal.get(3, TimeUnit.MINUTES);
    assertFalse(env.daemon().client().images(Duration.ofSeconds(60)).imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(image)).build()).hasImage());
    assertFalse(hasEntryStartingWith(layers, ".tmp-del-"), "a deleted layer left behind");
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(container).build());
    removePod(pod);
  }

  private static boolean hasEntryStartingWith(Path dir, String prefix) throws Exception {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.anyMatch(p -> p.getFileName().toString().startsWith(prefix));
    }
  }

  /**
   * Runs a pod with a container, execs in it, stops it gracefully and removes it all, checking
   * each answer; {@code alsoListed} are containers of other pods that every list must still show.
   */
  private static void lifecycleOfAnotherPod(List<String> alsoListed) throws Exception {
    String pod = env.runPod();
    String container = env.runContainer(pod, env.containerConfig("quick", "sh", "-c",
        "trap 'exit 0' TERM; sleep 1000 & wait").build());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(container).getState());
    ExecSyncResponse exec = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("echo", "meanwhile")).setTimeout(30).build());
    assertEquals("meanwhile", exec.getStdout().toString(StandardCharsets.UTF_8).trim());
    List<String> listed = env.runtime().listContainers(ListContainersRequest.getDefaultInstance())
        .getContainersList().stream().map(Container::getId).toList();
    assertTrue(listed.contains(container) && listed.containsAll(alsoListed), listed.toString());
    assertEquals(List.of(container), env.runtime().listContainers(ListContainersRequest.newBuilder()
        .setFilter(ContainerFilter.newBuilder().setPodSandboxId(pod)).build()).getContainersList().stream()
        .map(Container::getId).toList());
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(container).setTimeout(20).build());
    ContainerStatus stopped = env.status(container);
    assertEquals(ContainerState.CONTAINER_EXITED, stopped.getState());
    assertEquals(0, stopped.getExitCode(), "it exits by its TERM trap: " + stopped);
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(container).build());
    assertTrue(env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
        .map(PodSandbox::getId).anyMatch(pod::equals));
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, env.runtime().podSandboxStatus(PodSandboxStatusRequest
        .newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  private static void removePod(String pod) {
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  /** Waits (bounded) until the container's log has a line {@code text}. */
  private static void awaitLog(String container, String text) throws Exception {
    awaitLog(container, text, Duration.ofSeconds(30));
  }

  private static void awaitLog(String container, String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!env.logLines(env.status(container)).contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("container " + container + " never logged '" + text + "': "
            + env.logLines(env.status(container)));
      }
      Thread.sleep(50);
    }
  }
}
