package dev.berth.runtime.cli;

import dev.berth.cri.berth.v1.ImagesGrpc;
import dev.berth.cri.berth.v1.ImportRequest;
import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ContainerStatsRequest;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ImageFsInfoRequest;
import dev.berth.cri.v1.ImageServiceGrpc.ImageServiceBlockingStub;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.ListContainerStatsRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.PodSandboxStatsRequest;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.ReopenContainerLogRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.image.archive.ImageArchiveBuilder;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The client half of the AOT cache's training run ({@code bin/lib/aot-train}): drives a freshly
 * started daemon through what a kubelet, crictl and Prometheus do in a node's first minutes, so
 * that the classes and methods of those paths land in the cache. It also prints how long each
 * call of the first round took, so that the same command measures a cold daemon.
 */
@Command(name = "aot-workload", hidden = true,
    description = "Run the AOT training workload against a daemon that is starting (used by bin/lib/aot-train).")
final class AotWorkloadCommand implements Callable<Integer> {

  private static final Duration FIRST_ANSWER_WAIT = Duration.ofSeconds(120);

  @Mixin
  ConfigOptions options;

  @Option(names = "--rootfs", required = true, description = "Directory packed into the workload's image.")
  Path rootfs;

  @Option(names = "--work", required = true, description = "Directory for the image archive and the pods' logs.")
  Path work;

  @Option(names = "--metrics-url", description = "The daemon's /metrics URL, scraped once per pod.")
  URI metricsUrl;

  @Option(names = "--rounds", defaultValue = "2", description = "How many times each pod kind runs.")
  int rounds;

  @Option(names = "--started-at-file",
      description = "A file that holds the epoch milliseconds when the daemon was started, written after this "
          + "command says it is waiting; the time to the daemon's first answer is reported from it.")
  Path startedAtFile;

  @Spec
  CommandSpec spec;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    Path socket = options.effective().socket();
    awaitSocket(socket);
    try (CriClient client = CriClient.connect(socket)) {
      RuntimeServiceBlockingStub runtime = client.runtime(Duration.ofSeconds(120));
      ImageServiceBlockingStub images = client.images(Duration.ofSeconds(120));
      awaitFirstAnswer();
      timed("Status", () -> runtime.status(StatusRequest.newBuilder().setVerbose(true).build()));

      Path archive = work.resolve("aot-workload.tar");
      String image = "aot-workload:latest";
      ImageArchiveBuilder.fromDirectory(rootfs).name(image).cmd(List.of("sh")).writeTo(archive);
      timed("Import", () -> ImagesGrpc.newBlockingStub(client.channel()).withDeadlineAfter(10, TimeUnit.MINUTES)
          .import_(ImportRequest.newBuilder().setPath(archive.toAbsolutePath().toString()).build()));
      timed("ListImages", () -> images.listImages(ListImagesRequest.getDefaultInstance()));
      timed("ImageStatus", () -> images.imageStatus(ImageStatusRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(image)).setVerbose(true).build()));
      timed("ImageFsInfo", () -> images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance()));
      pullFromRegistry(images);

      for (int round = 1; round <= rounds; round++) {
        for (boolean sharedPid : List.of(false, true)) {
          runPod(runtime, image, round, sharedPid);
        }
      }
      timed("RemoveImage", () -> images.removeImage(RemoveImageRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(image)).build()));
    } catch (StatusRuntimeException e) {
      throw new CommandFailedException("workload call failed: " + e.getStatus(), e);
    }
    out.flush();
    return 0;
  }

  /**
   * A pull as after a node's boot: an image of its own (new layers, so they are downloaded,
   * verified and unpacked) from a registry on a loopback port, then removed.
   */
  private void pullFromRegistry(ImageServiceBlockingStub images) throws Exception {
    Path layer = Files.createDirectories(work.resolve("pull-rootfs"));
    byte[] data = new byte[2 << 20];
    new Random(21).nextBytes(data); // incompressible: the layer's bytes are streamed, not a few blocks
    Files.write(layer.resolve("data"), data);
    Files.createDirectories(layer.resolve("etc"));
    Files.writeString(layer.resolve("etc/hostname"), "aot\n");
    Files.createSymbolicLink(layer.resolve("link"), Path.of("data"));
    Path archive = work.resolve("aot-pull.tar");
    var built = ImageArchiveBuilder.fromDirectory(layer).name("aot-pull:v1").writeTo(archive);
    try (TrainingRegistry registry = TrainingRegistry.serving(archive, built, "berth/aot-pull", "v1")) {
      ImageSpec pulled = ImageSpec.newBuilder().setImage(registry.reference()).build();
      timed("PullImage", () -> images.pullImage(PullImageRequest.newBuilder().setImage(pulled).build()));
      timed("ImageStatus pulled", () -> images.imageStatus(ImageStatusRequest.newBuilder().setImage(pulled).build()));
      timed("RemoveImage pulled", () -> images.removeImage(RemoveImageRequest.newBuilder().setImage(pulled).build()));
    }
  }

  /** One pod the way the kubelet runs it, then relisted, measured and scraped, then torn down. */
  private void runPod(RuntimeServiceBlockingStub runtime, String image, int round, boolean sharedPid)
      throws Exception {
    String kind = sharedPid ? "shared-pid" : "own-pid";
    // Only the first round's figures are a cold daemon's; later rounds run for the training.
    String label = "round " + round + " " + kind + " ";
    NamespaceMode pidMode = sharedPid ? NamespaceMode.POD : NamespaceMode.CONTAINER;
    Path logs = Files.createDirectories(work.resolve("logs-" + round + "-" + kind));
    String pod = timed(label + "RunPodSandbox", () -> runtime.runPodSandbox(RunPodSandboxRequest.newBuilder()
        .setConfig(PodSandboxConfig.newBuilder()
            .setMetadata(PodSandboxMetadata.newBuilder().setName("aot-" + kind).setUid("aot-" + round + "-" + kind)
                .setNamespace("berth-aot"))
            .setHostname("aot")
            .setLogDirectory(logs.toAbsolutePath().toString())
            .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                .setNamespaceOptions(NamespaceOption.newBuilder().setPid(pidMode)))))
        .build()).getPodSandboxId());
    String container = timed(label + "CreateContainer", () -> runtime.createContainer(
        CreateContainerRequest.newBuilder().setPodSandboxId(pod)
            .setConfig(ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("work"))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(List.of("sh", "-c", "echo started; exec sleep 300"))
                .setLogPath("work.log")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                    LinuxContainerSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(pidMode)))))
            .build()).getContainerId());
    timed(label + "StartContainer", () -> runtime.startContainer(
        StartContainerRequest.newBuilder().setContainerId(container).build()));
    timed(label + "ExecSync", () -> runtime.execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("cat", "/proc/self/status")).setTimeout(30).build()));
    timed(label + "relist+stats", () -> {
      runtime.listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
      runtime.listContainers(ListContainersRequest.getDefaultInstance());
      runtime.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).setVerbose(true).build());
      runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(container).setVerbose(true).build());
      runtime.listContainerStats(ListContainerStatsRequest.getDefaultInstance());
      runtime.listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance());
      runtime.containerStats(ContainerStatsRequest.newBuilder().setContainerId(container).build());
      return runtime.podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(pod).build());
    });
    if (metricsUrl != null) {
      timed(label + "scrape", this::scrape);
    }
    timed(label + "ReopenContainerLog", () -> runtime.reopenContainerLog(
        ReopenContainerLogRequest.newBuilder().setContainerId(container).build()));
    timed(label + "StopContainer", () -> runtime.stopContainer(
        StopContainerRequest.newBuilder().setContainerId(container).setTimeout(0).build()));
    timed(label + "RemoveContainer", () -> runtime.removeContainer(
        RemoveContainerRequest.newBuilder().setContainerId(container).build()));
    timed(label + "StopPodSandbox", () -> runtime.stopPodSandbox(
        StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build()));
    timed(label + "RemovePodSandbox", () -> runtime.removePodSandbox(
        RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build()));
  }

  private Integer scrape() {
    // Prometheus asks for gzip: the compressed path is the one a node serves.
    HttpRequest request = HttpRequest.newBuilder(metricsUrl).header("Accept-Encoding", "gzip")
        .timeout(Duration.ofSeconds(60)).build();
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        body.transferTo(java.io.OutputStream.nullOutputStream());
      }
      if (response.statusCode() != 200) {
        throw new CommandFailedException("scrape of " + metricsUrl + " answered " + response.statusCode(), null);
      }
      return response.statusCode();
    } catch (java.io.IOException e) {
      throw new CommandFailedException("scrape of " + metricsUrl + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandFailedException("scrape interrupted", e);
    }
  }

  private void awaitSocket(Path socket) throws InterruptedException {
    // One call that fails (no daemon yet) loads this client's own gRPC and Netty classes, so that
    // their cost is not counted in the daemon's time to its first answer.
    if (!Files.exists(socket)) {
      try (CriClient probe = CriClient.connect(socket)) {
        probe.runtime(Duration.ofSeconds(5)).version(VersionRequest.getDefaultInstance());
      } catch (StatusRuntimeException expected) {
        // UNAVAILABLE: nothing listens yet.
      }
    }
    out.println("waiting for " + socket);
    out.flush();
    long deadline = System.nanoTime() + FIRST_ANSWER_WAIT.toNanos();
    while (!Files.exists(socket)) {
      if (System.nanoTime() > deadline) {
        throw new CommandFailedException("no daemon socket at " + socket + " after " + FIRST_ANSWER_WAIT, null);
      }
      Thread.sleep(5);
    }
  }

  /**
   * The socket file appears before the server answers; the first Version that does is the figure.
   * Each attempt has a channel of its own: a channel refused once waits out gRPC's reconnect
   * backoff (a second and more), which would be counted as the daemon's start.
   */
  private void awaitFirstAnswer() throws InterruptedException, java.io.IOException {
    long deadline = System.nanoTime() + FIRST_ANSWER_WAIT.toNanos();
    while (true) {
      try (CriClient probe = CriClient.connect(options.effective().socket())) {
        // As the kubelet and crictl ask: an empty request is parsed without the message's builder,
        // which the cache would then lack, and a fresh daemon's first real Version would load it
        // from its jar, opening every jar before cri-api's on the class path.
        probe.runtime(Duration.ofSeconds(5)).version(VersionRequest.newBuilder().setVersion("v1").build());
        break;
      } catch (StatusRuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(5);
      }
    }
    long answeredAt = System.currentTimeMillis();
    if (startedAtFile != null) {
      long startedAt = Long.parseLong(Files.readString(startedAtFile).trim());
      out.printf("first answer %d ms after the daemon was started%n", answeredAt - startedAt);
    }
  }

  private <T> T timed(String call, Supplier<T> body) {
    long started = System.nanoTime();
    T result = body.get();
    out.printf("%s %.1f ms%n", call, (System.nanoTime() - started) / 1e6);
    out.flush();
    return result;
  }
}
