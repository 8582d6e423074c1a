package dev.berth.runtime.cli;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxMetadata;
import dev.berth.cri.v1.PodSandboxStatus;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the kubelet does for a one-container pod, step by step through CRI, printed for a person:
 * run the pod, create and start a container, read its log and status, exec into the pod, clean up.
 */
@Command(name = "pod-demo", description = "Run a demo pod with one busybox container through the daemon's CRI.")
final class PodDemoCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions options;

  @Option(names = "--image", required = true, description = "Image of the container, already in the store.")
  String image;

  @Option(names = "--log-dir", required = true, description = "Directory for the pod's container logs.")
  Path logDirectory;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (CriClient client = CriClient.connect(options.effective().socket())) {
      RuntimeServiceBlockingStub runtime = client.runtime(Duration.ofSeconds(60));
      String pod = RemoteCall.run(client, () -> runtime.runPodSandbox(RunPodSandboxRequest.newBuilder()
          .setConfig(PodSandboxConfig.newBuilder()
              .setMetadata(PodSandboxMetadata.newBuilder().setName("demo").setUid("demo-" + ProcessHandle.current().pid())
                  .setNamespace("default"))
              .setHostname("demo")
              .setLogDirectory(logDirectory.toAbsolutePath().toString()))
          .build()).getPodSandboxId());
      try {
        PodSandboxStatus podStatus = runtime.podSandboxStatus(
            PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus();
        out.printf("pod %s: %s, ip %s%n", pod.substring(0, 12), podStatus.getState(), podStatus.getNetwork().getIp());

        String container = RemoteCall.run(client, () -> runtime.createContainer(CreateContainerRequest.newBuilder()
            .setPodSandboxId(pod)
            .setConfig(ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("hello"))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(List.of("sh", "-c", "echo hello from $(hostname); uname -a; sleep 2"))
                .setLogPath("hello.log"))
            .build()).getContainerId());
        runtime.startContainer(StartContainerRequest.newBuilder().setContainerId(container).build());
        out.printf("container %s started%n", container.substring(0, 12));

        String ps = runtime.execSync(ExecSyncRequest.newBuilder().setContainerId(container)
            .addAllCmd(List.of("ps", "-o", "pid,args")).setTimeout(10).build()).getStdout().toStringUtf8();
        out.println("exec ps in the container:");
        ps.lines().forEach(line -> out.println("  " + line));

        ContainerStatus status = awaitExit(runtime, container);
        out.printf("container exited: code %d, reason %s%n", status.getExitCode(), status.getReason());
        out.println("log " + status.getLogPath() + ":");
        Files.readAllLines(Path.of(status.getLogPath())).forEach(line -> out.println("  " + line));
      } finally {
        runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        out.println("pod stopped and removed");
        out.flush();
      }
    }
    return 0;
  }

  private static ContainerStatus awaitExit(RuntimeServiceBlockingStub runtime, String container)
      throws InterruptedException {
    while (true) {
      ContainerStatus status = runtime.containerStatus(
          ContainerStatusRequest.newBuilder().setContainerId(container).build()).getStatus();
      if (status.getState() == ContainerState.CONTAINER_EXITED) {
        return status;
      }
      Thread.sleep(100);
    }
  }
}
