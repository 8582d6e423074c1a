package dev.berth.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cri.berth.v1.ExportRequest;
import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.berth.v1.ImportResponse;
import dev.berth.cri.v1.ImageFilter;
import dev.berth.cri.v1.ImageFsInfoRequest;
import dev.berth.cri.v1.ImageFsInfoResponse;
import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ImageStatusResponse;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.image.archive.ImageArchiveBuilder.BuiltImage;
import dev.berth.linux.MountTable;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store through its facade and through the real gRPC services on an in-process server. */
@Tag("integration")
class ImageStoreTest {

  @TempDir
  Path tmp;

  private ImageStore store;
  private Server server;
  private ManagedChannel channel;
  private ImageServiceGrpc.ImageServiceBlockingStub cri;
  private ImagesGrpc.ImagesBlockingStub admin;

  @BeforeEach
  void start() throws IOException {
    store = ImageStore.open(tmp.resolve("store"), RegistryHosts.NONE);
    String name = "images-" + System.nanoTime();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(store.criService()).addService(store.adminService()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    cri = ImageServiceGrpc.newBlockingStub(channel);
    admin = ImagesGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() throws IOException {
    channel.shutdownNow();
    server.shutdownNow();
    store.close();
    // Nothing of ours may stay mounted.
    for (Path p : MountTable.mountPoints()) {
      if (p.startsWith(tmp)) {
        dev.berth.linux.Syscalls.umount2(p, dev.berth.linux.Syscalls.MNT_DETACH);
        throw new AssertionError("left mounted: " + p);
      }
    }
  }

  private BuiltImage importBusybox(String name, String marker) throws IOException {
    Path archive = tmp.resolve(marker + ".tar");
    BuiltImage built = TestImages.busyboxArchive(tmp, name, marker, archive);
    ImportResponse r = admin.import_(ImportRequest.newBuilder().setPath(archive.toString()).build());
    assertEquals(1, r.getImagesCount());
    assertEquals(built.imageId(), r.getImages(0).getId());
    return built;
  }

  private static ImageSpec spec(String ref) {
    return ImageSpec.newBuilder().setImage(ref).build();
  }

  @Test
  void importedOciArchiveIsListedUnderItsNormalisedName() throws IOException {
    BuiltImage built = importBusybox("busybox", "oci");
    var images = cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
    assertEquals(1, images.size());
    assertEquals(built.imageId(), images.getFirst().getId());
    assertEquals(List.of("docker.io/library/busybox:latest"), images.getFirst().getRepoTagsList());
    assertEquals(65534, images.getFirst().getUid().getValue());
    assertTrue(images.getFirst().getSize() > 500_000);
    var filtered = cri.listImages(ListImagesRequest.newBuilder()
        .setFilter(ImageFilter.newBuilder().setImage(spec("busybox"))).build());
    assertEquals(1, filtered.getImagesCount());
    var none = cri.listImages(ListImagesRequest.newBuilder()
        .setFilter(ImageFilter.newBuilder().setImage(spec("other"))).build());
    assertEquals(0, none.getImagesCount());
  }

  @Test
  void imageStatusAcceptsNameIdAndRepoDigestAndIsEmptyWhenMissing() throws Exception {
    BuiltImage built = importBusybox("127.0.0.1:5000/test/bb:v1", "status");
    for (String ref : List.of("127.0.0.1:5000/test/bb:v1", built.imageId(), built.config().hex().substring(0, 12),
        "127.0.0.1:5000/test/bb@" + built.manifest())) {
      ImageStatusResponse r = cri.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(ref)).build());
      assertEquals(built.imageId(), r.getImage().getId(), ref);
    }
    ImageStatusResponse verbose = cri.imageStatus(ImageStatusRequest.newBuilder()
        .setImage(spec(built.imageId())).setVerbose(true).build());
    var info = new ObjectMapper().readTree(verbose.getInfoOrThrow("info"));
    assertEquals("/tmp", info.path("imageSpec").path("config").path("WorkingDir").asText());
    assertFalse(cri.imageStatus(ImageStatusRequest.newBuilder().setImage(spec("nothere")).build()).hasImage());
    ResolvedImage resolved = store.resolve("127.0.0.1:5000/test/bb:v1");
    assertEquals(List.of("sh"), resolved.config().cmd());
    assertEquals("status", resolved.config().labels().get("berth.test"));
    assertThrows(ImageNotFoundException.class, () -> store.resolve("nothere"));
  }

  @Test
  void invalidReferenceIsInvalidArgumentNamingIt() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> cri.imageStatus(ImageStatusRequest.newBuilder().setImage(spec("Bad:Ref:x")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("Bad:Ref:x"), e.getStatus().getDescription());
    StatusRuntimeException pull = assertThrows(StatusRuntimeException.class,
        () -> cri.pullImage(PullImageRequest.newBuilder().setImage(spec("UPPER")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, pull.getStatus().getCode());
  }

  @Test
  void dockerSaveArchiveIsImported() throws IOException {
    // A docker save archive as docker 24 writes it: <id>/layer.tar, <id>.json, manifest.json.
    Path rootfs = TestImages.busyboxRootfs(Files.createDirectories(tmp.resolve("dsroot")), "docker");
    Path oci = tmp.resolve("ds-src.tar");
    BuiltImage built = dev.berth.image.archive.ImageArchiveBuilder.fromDirectory(rootfs).gzip(false)
        .cmd(List.of("sh")).writeTo(oci);
    byte[] config;
    byte[] layer;
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(oci))) {
      byte[] c = null;
      byte[] l = null;
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.getName().equals("blobs/sha256/" + built.config().hex())) {
          c = in.readAllBytes();
        } else if (e.getName().equals("blobs/sha256/" + built.layerBlob().hex())) {
          l = in.readAllBytes();
        }
      }
      config = c;
      layer = l;
    }
    Path save = tmp.resolve("docker-save.tar");
    try (OutputStream os = Files.newOutputStream(save); TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
      put(tar, "abc123/layer.tar", layer);
      put(tar, built.config().hex() + ".json", config);
      put(tar, "manifest.json", new ObjectMapper().writeValueAsBytes(List.of(Map.of(
          "Config", built.config().hex() + ".json", "RepoTags", List.of("myapp:1.0"), "Layers", List.of("abc123/layer.tar")))));
    }
    ImportResponse r = admin.import_(ImportRequest.newBuilder().setPath(save.toString()).build());
    assertEquals(built.imageId(), r.getImages(0).getId());
    assertEquals(List.of("docker.io/library/myapp:1.0"), r.getImages(0).getRepoTagsList());
  }

  private static void put(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(content.length);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  @Test
  void overlayRootfsHasTheImageFilesAndOutlivesRemoval() throws IOException {
    BuiltImage built = importBusybox("busybox:mnt", "mount");
    Path mnt = tmp.resolve("rootfs");
    store.mountRootfs("c1", built.imageId(), mnt);
    store.mountRootfs("c1", built.imageId(), mnt); // idempotent
    try {
      assertTrue(MountTable.isMountPoint(mnt));
      assertEquals(-1, Files.mismatch(TestImages.BUSYBOX, mnt.resolve("bin/busybox")));
      assertEquals("mount\n", Files.readString(mnt.resolve("etc/marker")));
      assertEquals(Path.of("busybox"), Files.readSymbolicLink(mnt.resolve("bin/sh")));
      Files.writeString(mnt.resolve("tmp/written"), "upper");
      // Removing the image while a container uses it keeps the container's layers.
      cri.removeImage(RemoveImageRequest.newBuilder().setImage(spec("busybox:mnt")).build());
      cri.removeImage(RemoveImageRequest.newBuilder().setImage(spec("busybox:mnt")).build());
      assertEquals(0, cri.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
      assertEquals("mount\n", Files.readString(mnt.resolve("etc/marker")));
    } finally {
      store.releaseRootfs("c1", mnt);
    }
    assertFalse(MountTable.isMountPoint(mnt));
    store.releaseRootfs("c1", mnt); // idempotent
    assertTrue(isEmpty(tmp.resolve("store/layers")), "layers of the removed image are collected after release");
    assertTrue(isEmpty(tmp.resolve("store/blobs/sha256")));
  }

  @Test
  void catalogSurvivesReopenAndTempFilesAreSwept() throws Exception {
    BuiltImage built = importBusybox("busybox:keep", "reopen");
    Path junk = tmp.resolve("store/tmp/.tmp-blob-interrupted");
    Files.writeString(junk, "half a download");
    Path junkLayer = Files.createDirectories(tmp.resolve("store/layers/.tmp-half"));
    store.close();
    store = ImageStore.open(tmp.resolve("store"), RegistryHosts.NONE);
    assertEquals(built.imageId(), store.resolve("busybox:keep").id());
    assertFalse(Files.exists(junk));
    assertFalse(Files.exists(junkLayer));
  }

  @Test
  void exportThenImportElsewhereGivesTheSameImage() throws Exception {
    BuiltImage built = importBusybox("busybox:exp", "export");
    Path out = tmp.resolve("exported.tar");
    admin.export(ExportRequest.newBuilder().addRefs("busybox:exp").setPath(out.toString()).build());
    try (ImageStore other = ImageStore.open(tmp.resolve("other"), RegistryHosts.NONE)) {
      assertEquals(built.imageId(), importInto(other, out));
      assertEquals(List.of("docker.io/library/busybox:exp"), other.resolve(built.imageId()).repoTags());
    }
  }

  private String importInto(ImageStore other, Path archive) throws IOException {
    String name = "other-" + System.nanoTime();
    Server s = InProcessServerBuilder.forName(name).directExecutor().addService(other.adminService()).build().start();
    ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      return ImagesGrpc.newBlockingStub(ch).import_(ImportRequest.newBuilder().setPath(archive.toString()).build())
          .getImages(0).getId();
    } finally {
      ch.shutdownNow();
      s.shutdownNow();
    }
  }

  @Test
  void imageFsInfoReportsTheStoresOwnUsageOnItsMount() {
    ImageFsInfoResponse r = cri.imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
    var fs = r.getImageFilesystems(0);
    assertTrue(tmp.toAbsolutePath().startsWith(fs.getFsId().getMountpoint()));
    assertTrue(fs.getUsedBytes().getValue() > 0);
    // The store's own bytes, not the whole filesystem's (which holds the OS and this build).
    assertTrue(fs.getUsedBytes().getValue() < 64L << 20, "used " + fs.getUsedBytes().getValue());
    assertTrue(fs.getInodesUsed().getValue() > 0);
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }
}
