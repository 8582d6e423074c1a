package dev.berth.runtime.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.ReopenContainerLogRequest;
import dev.berth.image.archive.ImageArchiveBuilder;
import dev.berth.runtime.testing.Leftovers;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.TestImages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests and images that try to make the daemon read or write outside its roots, the pod's log
 * directory and the mounts the kubelet asked for.
 */
@Tag("integration")
@Timeout(300)
class PathEscapeTest extends PodTestCase {

  /** A directory outside everything the daemon owns, standing for the rest of the node. */
  private static Path elsewhere(String name) throws Exception {
    return Files.createDirectories(env.dir().resolve("elsewhere").resolve(name));
  }

  private static StatusRuntimeException refusedCreate(String pod, ContainerConfig config) {
    return assertThrows(StatusRuntimeException.class, () -> env.createContainer(pod, config));
  }

  private static void assertInvalid(StatusRuntimeException e, String... mentions) {
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    for (String mention : mentions) {
      assertTrue(e.getStatus().getDescription().contains(mention), e.getStatus().getDescription());
    }
  }

  private static String podWithLogDirectory(String name) throws Exception {
    String pod = env.runPod(env.podConfig(name).build());
    Files.createDirectories(env.logDirectory(name));
    return pod;
  }

  @Test
  void aLogPathWithDotDotIsRefused() throws Exception {
    String pod = podWithLogDirectory("dotdot");
    StatusRuntimeException e = refusedCreate(pod, env.containerConfig("c", "true").setLogPath("../dotdot-escape.log").build());
    assertInvalid(e, "log_path", "../dotdot-escape.log");
    assertFalse(Files.exists(env.logDirectory("dotdot").resolveSibling("dotdot-escape.log")));
  }

  @Test
  void anAbsoluteLogPathIsRefused() throws Exception {
    String pod = podWithLogDirectory("absolute");
    Path target = elsewhere("absolute").resolve("x.log");
    StatusRuntimeException e = refusedCreate(pod, env.containerConfig("c", "true").setLogPath(target.toString()).build());
    assertInvalid(e, "log_path", target.toString());
    assertFalse(Files.exists(target));
  }

  @Test
  void aLogPathThroughALinkedSubdirectoryIsRefused() throws Exception {
    String pod = podWithLogDirectory("linkeddir");
    Path outside = elsewhere("linkeddir");
    Files.createSymbolicLink(env.logDirectory("linkeddir").resolve("sub"), outside);
    StatusRuntimeException e = refusedCreate(pod, env.containerConfig("c", "echo", "leaked")
        .setLogPath("sub/new/0.log").build());
    assertInvalid(e, "log_path", "sub/new/0.log", "symbolic link", outside.toString());
    try (var left = Files.list(outside)) {
      assertEquals(List.of(), left.toList(), "nothing was created through the link");
    }
  }

  @Test
  void aLogFileThatIsALinkIsRefused() throws Exception {
    String pod = podWithLogDirectory("linkedfile");
    Path victim = elsewhere("linkedfile").resolve("victim");
    Files.writeString(victim, "precious\n");
    Files.createDirectories(env.logDirectory("linkedfile").resolve("c"));
    Files.createSymbolicLink(env.logDirectory("linkedfile").resolve("c/0.log"), victim);
    StatusRuntimeException e = refusedCreate(pod, env.containerConfig("c", "echo", "leaked").setLogPath("c/0.log").build());
    assertInvalid(e, "log_path", "c/0.log", "symbolic link");
    assertEquals("precious\n", Files.readString(victim));
  }

  @Test
  void aLogInANewSubdirectoryIsWrittenThere() throws Exception {
    String pod = podWithLogDirectory("kubeletstyle");
    String id = env.runContainer(pod, env.containerConfig("c", "echo", "hello").setLogPath("c/0.log").build());
    var status = env.awaitExit(id);
    assertEquals(env.logDirectory("kubeletstyle").resolve("c/0.log").toString(), status.getLogPath());
    assertEquals(List.of("hello"), env.logLines(status));
  }

  @Test
  void aLinkPutInPlaceOfTheLogBeforeAReopenIsRefused() throws Exception {
    String pod = podWithLogDirectory("reopen");
    String id = env.runContainer(pod, env.containerConfig("c", "sleep", "3600").setLogPath("c/0.log").build());
    Path log = env.logDirectory("reopen").resolve("c/0.log");
    Path victim = elsewhere("reopen").resolve("victim");
    Files.writeString(victim, "precious\n");
    // What the kubelet's rotation does (rename, then reopen), with a link in between.
    Files.move(log, log.resolveSibling("0.log.rotated"));
    Files.createSymbolicLink(log, victim);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> env.runtime().reopenContainerLog(
        ReopenContainerLogRequest.newBuilder().setContainerId(id).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("c/0.log") && e.getStatus().getDescription().contains("symbolic link"),
        e.getStatus().getDescription());
    assertEquals("precious\n", Files.readString(victim));
  }

  @Test
  void aLogDirectoryThatIsALinkIsFollowed() throws Exception {
    // The pod's directory itself is the kubelet's to choose (nodes keep /var/log elsewhere by links).
    Path real = elsewhere("realpodlogs");
    Path link = env.dir().resolve("logs").resolve("linkedpod");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, real);
    String pod = env.runPod(env.podConfig("linkedpod").build());
    var status = env.awaitExit(env.runContainer(pod, env.containerConfig("c", "echo", "via-link").setLogPath("c/0.log").build()));
    assertTrue(Files.readString(real.resolve("c/0.log")).contains("via-link"));
    assertEquals(List.of("via-link"), env.logLines(status));
  }

  @Test
  void aHostPathThatIsALinkMountsItsTarget() throws Exception {
    String pod = env.runPod();
    Path target = elsewhere("hostpath-target");
    Files.writeString(target.resolve("file"), "from-target\n");
    Path link = env.dir().resolve("hostpath-link");
    Files.createSymbolicLink(link, target);
    var status = env.awaitExit(env.runContainer(pod, env.containerConfig("c", "cat", "/mnt/data/file")
        .addMounts(Mount.newBuilder().setHostPath(link.toString()).setContainerPath("/mnt/data").setReadonly(true))
        .build()));
    assertEquals(List.of("from-target"), env.logLines(status));
  }

  @Test
  void aMountOntoAnImageLinkThatLeavesTheRootfsLandsInsideIt() throws Exception {
    Path hostSide = elsewhere("image-link-target");
    String image = importImage("escapinglink", rootfs -> Files.createSymbolicLink(rootfs.resolve("data"),
        Path.of("/../../../../.." + hostSide)));
    Path source = elsewhere("mount-source");
    Files.writeString(source.resolve("hello"), "mounted\n");
    String pod = env.runPod();
    var status = env.awaitExit(env.runContainer(pod, env.containerConfig("c", "cat", "/data/hello")
        .setImage(ImageSpec.newBuilder().setImage(image))
        .addMounts(Mount.newBuilder().setHostPath(source.toString()).setContainerPath("/data"))
        .build()));
    assertEquals(0, status.getExitCode(), env.log(status));
    assertEquals(List.of("mounted"), env.logLines(status), "the mount is where the link points, inside the rootfs");
    try (var left = Files.list(hostSide)) {
      assertEquals(List.of(), left.toList(), "the host directory the link names is untouched");
    }
    assertFalse(Leftovers.mounts(env.dir()).stream().anyMatch(m -> m.startsWith(hostSide.toString())));
  }

  @Test
  void aContainerPathWithDotDotStaysInsideTheRootfs() throws Exception {
    Path hostSide = elsewhere("dotdot-target");
    Path source = elsewhere("dotdot-source");
    Files.writeString(source.resolve("hello"), "mounted\n");
    String containerPath = "/../../../../.." + hostSide;
    String pod = env.runPod();
    var status = env.awaitExit(env.runContainer(pod, env.containerConfig("c", "cat", hostSide + "/hello")
        .addMounts(Mount.newBuilder().setHostPath(source.toString()).setContainerPath(containerPath))
        .build()));
    assertEquals(List.of("mounted"), env.logLines(status), "inside, the mount is at the path with .. dropped");
    try (var left = Files.list(hostSide)) {
      assertEquals(List.of(), left.toList(), "the host directory of that name is untouched");
    }
  }

  @Test
  void theImagesUserFilesAreReadInsideTheRootfsEvenThroughALink() throws Exception {
    // An image whose /etc points at a directory of the node: user lookups must not read the node's files.
    Path hostEtc = elsewhere("host-etc");
    Files.writeString(hostEtc.resolve("passwd"), "nodeuser:x:4242:4242::/:/bin/sh\n");
    String image = importImage("linkedetc", rootfs -> {
      Path etc = rootfs.resolve("etc");
      try (var files = Files.list(etc)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(etc);
      Files.createSymbolicLink(etc, hostEtc);
    });
    String pod = env.runPod();
    StatusRuntimeException e = refusedCreate(pod, env.containerConfig("c", "id", "-u")
        .setImage(ImageSpec.newBuilder().setImage(image))
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
            LinuxContainerSecurityContext.newBuilder().setRunAsUsername("nodeuser")))
        .build());
    assertInvalid(e, "nodeuser", "/etc/passwd");
  }

  @Test
  void anImageArchiveWhoseLayerLeavesItsDirectoryIsRefused() throws Exception {
    Path archive = EscapingArchive.write(env.dir().resolve("escaping.tar"), "../../../escaped-by-layer");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        ImagesGrpc.newBlockingStub(env.daemon().client().channel()).withDeadlineAfter(2, TimeUnit.MINUTES)
            .import_(ImportRequest.newBuilder().setPath(archive.toString()).build()));
    assertTrue(e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
        || e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION, e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("escaped-by-layer"), e.getStatus().getDescription());
    try (var found = Files.find(env.dir(), 8, (p, a) -> p.getFileName() != null
        && p.getFileName().toString().equals("escaped-by-layer"))) {
      assertEquals(List.of(), found.toList());
    }
  }

  private interface RootfsChange {
    void apply(Path rootfs) throws Exception;
  }

  private static String importImage(String name, RootfsChange change) throws Exception {
    Path work = Files.createDirectories(env.dir().resolve("img-" + name));
    Path rootfs = TestImages.busyboxRootfs(work.resolve("rootfs"));
    change.apply(rootfs);
    String reference = "docker.io/library/" + name + ":berth-test";
    Path archive = work.resolve("image.tar");
    ImageArchiveBuilder.fromDirectory(rootfs).name(reference).cmd(List.of("sh")).writeTo(archive);
    ImagesGrpc.newBlockingStub(env.daemon().client().channel()).withDeadlineAfter(2, TimeUnit.MINUTES)
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build());
    return reference;
  }
}
