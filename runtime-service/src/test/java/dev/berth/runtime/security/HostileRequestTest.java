package dev.berth.runtime.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.image.archive.ImageArchiveBuilder;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.TestImages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests a kubelet never sends, through the socket: control characters in names, NUL in paths,
 * malformed image references, ids that are not ours, an image whose /etc/passwd is huge. Each is
 * answered with its proper code naming what was wrong, forges no line of the daemon's log,
 * touches nothing outside the daemon's own files and leaves the daemon serving.
 */
@Tag("integration")
@Timeout(600)
class HostileRequestTest extends PodTestCase {

  /** What a forged log line would start with, were a newline let through. */
  private static final String FORGED = "FORGED-BY-HOSTILE-REQUEST-TEST";
  private static final java.util.regex.Pattern DAEMON_LINE =
      java.util.regex.Pattern.compile("\\d{2}:\\d{2}:\\d{2}\\.\\d{3} (TRACE|DEBUG|INFO|WARN|ERROR) ");
  private static String pod;

  @BeforeAll
  static void runAPod() {
    pod = env.runPod(env.podConfig("hostile").build());
  }

  private static Status refused(Supplier<?> call) {
    return assertThrows(StatusRuntimeException.class, call::get).getStatus();
  }

  private static void assertRefused(Status.Code code, String mention, Supplier<?> call) {
    Status status = refused(call);
    assertEquals(code, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains(mention), status.getDescription());
    assertFalse(status.getDescription().contains("Exception"), "no Java class name: " + status.getDescription());
    assertFalse(status.getDescription().contains("\n"), status.getDescription());
  }

  @Test
  void namesWithControlCharactersAreRefusedAndForgeNoLogLine() throws Exception {
    String forgedName = "web\n2026-12-06 12:00:00.000 " + FORGED + " INFO pod removed";
    assertRefused(Status.Code.INVALID_ARGUMENT, "pod sandbox config metadata.name \"web\\n2026",
        () -> env.runPod(env.podConfig("x").setMetadata(
            PodSandboxMetadata.newBuilder().setName(forgedName).setUid("u1").setNamespace("n")).build()));
    assertRefused(Status.Code.INVALID_ARGUMENT, "pod sandbox config metadata.namespace",
        () -> env.runPod(env.podConfig("x").setMetadata(
            PodSandboxMetadata.newBuilder().setName("x").setUid("u2").setNamespace("n\r" + FORGED)).build()));
    assertRefused(Status.Code.INVALID_ARGUMENT, "pod sandbox config labels key",
        () -> env.runPod(env.podConfig("x").putLabels("app\n" + FORGED, "v").build()));
    assertRefused(Status.Code.INVALID_ARGUMENT, "pod sandbox config hostname",
        () -> env.runPod(env.podConfig("x").setHostname("x\n10.0.0.1 " + FORGED).build()));
    assertRefused(Status.Code.INVALID_ARGUMENT, "container config metadata.name",
        () -> env.createContainer(pod, env.containerConfig("c", "true")
            .setMetadata(ContainerMetadata.newBuilder().setName("c\n" + FORGED)).build()));
    assertRefused(Status.Code.NOT_FOUND, "not found", () -> env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId("abc\n" + FORGED).build()));

    String output = env.daemon().output();
    // Every line that holds the marker is one the daemon began (its time stamp first), not one a
    // caller began after a newline of its own.
    List<String> forged = output.lines().filter(line -> line.contains(FORGED))
        .filter(line -> !DAEMON_LINE.matcher(line).lookingAt()).toList();
    assertEquals(List.of(), forged, "lines of the daemon log a caller wrote");
    // The refusals were logged, escaped on one line each: the check above looked at the right output.
    assertTrue(output.contains("RunPodSandbox failed"), output);
    assertTrue(output.contains("\\n2026-12-06 12:00:00.000 " + FORGED), "the escaped name is in the log");
  }

  @Test
  void aLogPathOrLogDirectoryWithNulIsAnInvalidArgumentNamingIt() {
    assertRefused(Status.Code.INVALID_ARGUMENT, "container config log_path",
        () -> env.createContainer(pod, env.containerConfig("nul", "true").setLogPath("nul\u0000.log").build()));
    assertRefused(Status.Code.INVALID_ARGUMENT, "pod sandbox config log_directory",
        () -> env.runPod(env.podConfig("nul").setLogDirectory(env.dir() + "/logs/\u0000nul").build()));
  }

  @Test
  void malformedImageReferencesAreInvalidArgumentsNamingTheReference() {
    int containersBefore = env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount();
    for (String reference : List.of("UPPER/case:1", "busybox@sha256:abc", "busybox@sha256:" + "A".repeat(64),
        "../../etc/passwd", "busybox:bad tag", "busybox:" + "t".repeat(200), "x".repeat(5000), "a//b", ":latest")) {
      assertRefused(Status.Code.INVALID_ARGUMENT, "container config image.image",
          () -> env.createContainer(pod, env.containerConfig("ref", "true")
              .setImage(ImageSpec.newBuilder().setImage(reference)).build()));
    }
    assertRefused(Status.Code.INVALID_ARGUMENT, "container config image.image",
        () -> env.createContainer(pod, env.containerConfig("ref", "true")
            .setImage(ImageSpec.newBuilder().setImage("busybox\n" + FORGED)).build()));
    assertEquals(containersBefore,
        env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
  }

  @Test
  void stopAndRemoveOfIdsThatAreNotOursSucceedAndTouchNothing() throws Exception {
    // Where "../../etc" would land from the record and state directories, were it ever joined.
    List<Path> canaries = new ArrayList<>();
    for (Path base : List.of(env.daemon().root(), env.daemon().dir().resolve("state"), env.daemon().dir())) {
      for (String up : List.of("..", "../..")) {
        Path canary = base.resolve(up).resolve("etc").normalize().resolve("berth-canary");
        if (canary.startsWith(env.dir())) {
          Files.createDirectories(canary.getParent());
          Files.writeString(canary, "untouched");
          canaries.add(canary);
        }
      }
    }
    assertFalse(canaries.isEmpty());
    for (String id : List.of("6f3c2d9e-1b2a-4c5d-8e7f-0123456789ab", "../../etc", "../../../../etc", "/etc", ".",
        "..", "a\u0000b", "f".repeat(65), "0".repeat(70_000))) {
      env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
      env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
      env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
      env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
      assertRefused(Status.Code.NOT_FOUND, "not found", () -> env.runtime().podSandboxStatus(
          PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()));
      assertRefused(Status.Code.NOT_FOUND, "not found", () -> env.runtime().containerStatus(
          ContainerStatusRequest.newBuilder().setContainerId(id).build()));
    }
    for (Path canary : canaries) {
      assertEquals("untouched", Files.readString(canary), canary.toString());
    }
    assertEquals(PodSandboxState.SANDBOX_READY, env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
  }

  @Test
  void anImageWithAHugePasswdIsRefusedNamingTheFileWhileTheHeapStaysBounded() throws Exception {
    Path rootfs = TestImages.busyboxRootfs(Files.createDirectories(env.dir().resolve("huge-passwd")));
    try (BufferedWriter out = Files.newBufferedWriter(rootfs.resolve("etc/passwd"))) {
      out.write("root:x:0:0:root:/root:/bin/sh\n");
      for (int i = 0; i < 700_000; i++) {
        out.write("user" + i + ":x:" + (10_000 + i) + ":100::/home:/bin/sh\n");
      }
      out.write("app:x:1000:1000::/:/bin/sh\n");
    }
    assertTrue(Files.size(rootfs.resolve("etc/passwd")) > 20L * 1024 * 1024);
    Path archive = env.dir().resolve("huge-passwd.tar");
    ImageArchiveBuilder.fromDirectory(rootfs).name("berth.test/huge-passwd:v1").cmd(List.of("sh")).user("app")
        .writeTo(archive);
    ImagesGrpc.newBlockingStub(env.daemon().client().channel()).withDeadlineAfter(5, TimeUnit.MINUTES)
        .import_(ImportRequest.newBuilder().setPath(archive.toString()).build());

    // Four at once: read whole, four copies of a 20 MB passwd and its lines would not fit the
    // daemon's 128 MB heap; bounded, each create is refused before a line is parsed.
    List<CompletableFuture<Status>> creates = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String name = "huge" + i;
      creates.add(CompletableFuture.supplyAsync(() -> refused(() -> env.createContainer(pod,
          env.containerConfig(name, "true").setImage(ImageSpec.newBuilder().setImage("berth.test/huge-passwd:v1"))
              .build()))));
    }
    for (CompletableFuture<Status> create : creates) {
      Status status = create.get(3, TimeUnit.MINUTES);
      assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
      assertTrue(status.getDescription().contains("the image's /etc/passwd is larger than"), status.getDescription());
    }
    assertTrue(env.daemon().process().isAlive());
    assertEquals("berth", env.daemon().client().runtime(Duration.ofSeconds(10))
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());
    assertFalse(env.daemon().output().contains("OutOfMemoryError"), "the daemon ran out of heap");
  }
}
