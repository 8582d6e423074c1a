package dev.berth.runtime.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.berth.v1.ImportResponse;
import dev.berth.cri.v1.Image;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.image.registry.LocalRegistry;
import dev.berth.image.store.Digest;
import dev.berth.linux.Syscalls;
import dev.berth.runtime.testing.PodTestEnv;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile layers through the daemon's socket, by {@code Import} and by a pull from a real
 * docker-registry: a directory replaced by a symlink to a node file, hard links through links,
 * FIFOs, a layer over the configured size cap, an import past its deadline. Each time the node
 * file keeps its mode, owner, times and xattrs, the daemon answers other calls, and the image
 * root keeps no temp files.
 */
@Tag("integration")
@Timeout(600)
class HostileLayerSocketTest {

  private static final long CAP = 64L << 20;
  private static final Instant HOST_TIME = Instant.parse("2001-02-03T04:05:06Z");
  private static final int HOST_UID = 4321;

  static PodTestEnv env;
  static LocalRegistry registry;
  Path hostFile;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.startWithTopLevelConfig("[images]\nmax_layer_unpacked_bytes = " + CAP);
    registry = LocalRegistry.start(Files.createDirectories(env.dir().resolve("registry")), null, null);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (registry != null) {
        registry.close();
      }
    } finally {
      env.close();
    }
  }

  @BeforeEach
  void makeHostFile() throws IOException {
    Path dir = Files.createDirectories(env.dir().resolve("node-etc-" + System.nanoTime()));
    hostFile = Files.writeString(dir.resolve("shadow"), "root:precious\n");
    Syscalls.chmod(hostFile, 0640);
    Syscalls.lchown(hostFile, HOST_UID, HOST_UID);
    Files.setLastModifiedTime(hostFile, FileTime.from(HOST_TIME));
  }

  private void assertHostFileUntouched() throws IOException {
    Map<String, Object> a = Files.readAttributes(hostFile, "unix:mode,uid,gid,lastModifiedTime,nlink",
        LinkOption.NOFOLLOW_LINKS);
    assertEquals(0100640, a.get("mode"), "mode of the node file");
    assertEquals(HOST_UID, a.get("uid"));
    assertEquals(HOST_UID, a.get("gid"));
    assertEquals(FileTime.from(HOST_TIME), a.get("lastModifiedTime"));
    assertEquals(1, ((Number) a.get("nlink")).intValue(), "no hard link to the node file was made");
    assertEquals("root:precious\n", Files.readString(hostFile));
    assertNull(Syscalls.lgetxattr(hostFile, "trusted.berth-test"));
  }

  /** The daemon lives, answers ListImages, and its image root holds no temp files. */
  private static List<Image> assertDaemonAnswersAndLeftNothing() throws IOException {
    assertTrue(env.daemon().process().isAlive());
    List<Image> images = env.daemon().client().images(Duration.ofSeconds(30))
        .listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
    assertFalse(images.isEmpty(), "the test image is still listed");
    assertEquals(List.of(), tempFiles(), "temp files in the image root");
    return images;
  }

  private static List<Path> tempFiles() throws IOException {
    Path root = env.daemon().root().resolve("images");
    List<Path> found = new java.util.ArrayList<>();
    Path tmp = root.resolve("tmp");
    if (Files.isDirectory(tmp)) {
      try (Stream<Path> s = Files.list(tmp)) {
        found.addAll(s.toList());
      }
    }
    for (Path dir : List.of(root, root.resolve("layers"))) {
      try (Stream<Path> s = Files.list(dir)) {
        found.addAll(s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList());
      }
    }
    return found;
  }

  private static boolean listed(String reference) {
    return env.daemon().client().images(Duration.ofSeconds(30)).imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(reference)).build()).hasImage();
  }

  private static ImagesGrpc.ImagesBlockingStub admin(Duration deadline) {
    return ImagesGrpc.newBlockingStub(env.daemon().client().channel())
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static ImportResponse importArchive(Path archive) {
    return admin(Duration.ofMinutes(2)).import_(ImportRequest.newBuilder().setPath(archive.toString()).build());
  }

  private Path archive(String name, HostileLayerArchive.Layer layer, Digest diffId) throws IOException {
    return HostileLayerArchive.write(env.dir().resolve(name + "-" + System.nanoTime() + ".tar"),
        "docker.io/library/" + name + ":hostile", layer, diffId);
  }

  private HostileLayerArchive.Layer directoryThenSymlinkToHostFile() throws IOException {
    return HostileLayerArchive.layer(tar -> {
      HostileLayerArchive.directory(tar, "etc");
      HostileLayerArchive.symlink(tar, "etc", hostFile.toString());
    });
  }

  @Test
  void anImportedDirectoryReplacedBySymlinkLeavesTheNodeFileAlone() throws IOException {
    HostileLayerArchive.Layer layer = directoryThenSymlinkToHostFile();
    importArchive(archive("dirlink", layer, layer.diffId()));
    assertHostFileUntouched();
    assertTrue(listed("docker.io/library/dirlink:hostile"));
    Path unpacked = env.daemon().root().resolve("images/layers").resolve(layer.diffId().hex());
    assertEquals(hostFile, Files.readSymbolicLink(unpacked.resolve("etc")));
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void anImportRefusedForItsDiffIdLeavesTheNodeFileAlone() throws IOException {
    HostileLayerArchive.Layer layer = directoryThenSymlinkToHostFile();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> importArchive(archive("baddiffid", layer, Digest.of(new byte[] {42}))));
    assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode(), e.getStatus().toString());
    assertHostFileUntouched();
    assertFalse(listed("docker.io/library/baddiffid:hostile"));
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void aHardLinkThroughASymlinkToTheNodeFileIsRefused() throws IOException {
    HostileLayerArchive.Layer layer = HostileLayerArchive.layer(tar -> {
      HostileLayerArchive.symlink(tar, "etc", hostFile.getParent().toString());
      org.apache.commons.compress.archivers.tar.TarArchiveEntry link = new org.apache.commons.compress.archivers.tar
          .TarArchiveEntry("shadow", org.apache.commons.compress.archivers.tar.TarArchiveEntry.LF_LINK, true);
      link.setLinkName("etc/shadow");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
    });
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> importArchive(archive("hardlink", layer, layer.diffId())));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("etc/shadow"), e.getStatus().getDescription());
    assertHostFileUntouched();
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void pulledHostileLayersLeaveTheNodeFileAlone() throws Exception {
    HostileLayerArchive.Layer layer = directoryThenSymlinkToHostFile();
    registry.push(archive("pushed", layer, layer.diffId()), "hostile/dirlink:v1");
    registry.push(archive("pushedbad", layer, Digest.of(new byte[] {43})), "hostile/baddiffid:v1");

    String good = registry.host() + "/hostile/dirlink:v1";
    env.daemon().client().images(Duration.ofMinutes(2)).pullImage(PullImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(good)).build());
    assertHostFileUntouched();
    assertTrue(listed(good));

    String bad = registry.host() + "/hostile/baddiffid:v1";
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.daemon().client()
        .images(Duration.ofMinutes(2)).pullImage(PullImageRequest.newBuilder()
            .setImage(ImageSpec.newBuilder().setImage(bad)).build()));
    assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode(), e.getStatus().toString());
    assertHostFileUntouched();
    assertFalse(listed(bad));
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void aFifoLayerImportsWhileListImagesAnswersAndAPullSharingItIsNotBlocked() throws Exception {
    HostileLayerArchive.Layer layer = HostileLayerArchive.layer(tar -> {
      HostileLayerArchive.fifo(tar, "run/pipe");
      HostileLayerArchive.fifo(tar, "pipe-at-the-root");
    });
    Path archive = archive("fifo", layer, layer.diffId());
    CompletableFuture<ImportResponse> imported = CompletableFuture.supplyAsync(() -> importArchive(archive));
    // Answered whatever the import is doing.
    env.daemon().client().images(Duration.ofSeconds(10)).listImages(ListImagesRequest.getDefaultInstance());
    assertEquals(1, imported.get(2, TimeUnit.MINUTES).getImagesCount());
    Path fifo = env.daemon().root().resolve("images/layers").resolve(layer.diffId().hex()).resolve("run/pipe");
    assertEquals(Syscalls.S_IFIFO | 0644, Files.getAttribute(fifo, "unix:mode", LinkOption.NOFOLLOW_LINKS));
    assertEquals(FileTime.from(HostileLayerArchive.LAYER_TIME), Files.getLastModifiedTime(fifo, LinkOption.NOFOLLOW_LINKS));

    registry.push(archive, "hostile/fifo:v1");
    String pulled = registry.host() + "/hostile/fifo:v1";
    env.daemon().client().images(Duration.ofMinutes(2)).pullImage(PullImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(pulled)).build());
    assertTrue(listed(pulled));
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void aLayerOverTheSizeCapIsRefusedNamingTheLayerAndTheCap() throws IOException {
    HostileLayerArchive.Layer layer = HostileLayerArchive.layer(tar -> HostileLayerArchive.zeros(tar, "big", CAP + 1));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> importArchive(archive("toobig", layer, layer.diffId())));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
    String message = e.getStatus().getDescription();
    assertTrue(message.contains(Digest.of(layer.blob()).toString()) && message.contains(Long.toString(CAP))
        && message.contains("max_layer_unpacked_bytes"), message);
    assertFalse(listed("docker.io/library/toobig:hostile"));
    assertFalse(Files.exists(env.daemon().root().resolve("images/layers").resolve(layer.diffId().hex())));
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void aCreateContainerRefusedForTooManyLayersLeavesNoRecordPinningThem() throws Exception {
    List<HostileLayerArchive.Layer> layers = new java.util.ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int n = i;
      layers.add(HostileLayerArchive.layer(tar -> HostileLayerArchive.zeros(tar, "layer-" + n, n)));
    }
    String reference = "docker.io/library/manylayers:hostile";
    importArchive(HostileLayerArchive.write(env.dir().resolve("manylayers.tar"), reference, layers,
        layers.stream().map(HostileLayerArchive.Layer::diffId).toList()));
    String pod = env.runPod();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.createContainer(pod,
        env.containerConfig("c", "true").setImage(ImageSpec.newBuilder().setImage(reference)).build()));
    assertTrue(e.getStatus().getDescription().contains("too many layers"), e.getStatus().toString());
    Path snapshots = env.daemon().root().resolve("images/containers");
    try (Stream<Path> homes = Files.list(snapshots)) {
      assertEquals(List.of(), homes.toList(), "rootfs records left by the failed create");
    }

    env.restartAfter(() -> { });
    env.daemon().client().images(Duration.ofMinutes(1)).removeImage(dev.berth.cri.v1.RemoveImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(reference)).build());
    for (HostileLayerArchive.Layer layer : layers) {
      assertFalse(Files.exists(env.daemon().root().resolve("images/layers").resolve(layer.diffId().hex())),
          "layer " + layer.diffId() + " is still kept");
    }
    assertDaemonAnswersAndLeftNothing();
  }

  @Test
  void anImportPastItsDeadlineStopsAndLeavesNothing() throws Exception {
    // Tens of thousands of entries: seconds of unpacking, from an archive of a few hundred kilobytes.
    HostileLayerArchive.Layer layer = HostileLayerArchive.layer(tar -> {
      for (int i = 0; i < 60_000; i++) {
        HostileLayerArchive.zeros(tar, "d" + (i / 1000) + "/f" + i, 0);
      }
    });
    Path archive = archive("slow", layer, layer.diffId());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admin(Duration.ofMillis(300))
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!tempFiles().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertFalse(listed("docker.io/library/slow:hostile"), "the import stopped with its caller");
    assertFalse(Files.exists(env.daemon().root().resolve("images/layers").resolve(layer.diffId().hex())));
    assertDaemonAnswersAndLeftNothing();
  }
}
