package dev.berth.bench;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.Container;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import dev.berth.cri.v1.StopPodSandboxRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Removes every pod and container on a runtime, so that a run interrupted half-way leaves no
 * shims, mounts or network namespaces behind. Only for private benchmark sockets.
 */
@Command(name = "cleanup", description = "Stop and remove every pod and container on a (private!) CRI socket.")
final class CleanupCommand implements Callable<Integer> {

  @Option(names = "--socket", required = true, paramLabel = "PATH", description = "CRI unix socket.")
  Path socket;

  @Override
  public Integer call() {
    try (CriClient client = CriClient.connect(Path.of(socket.toString().replaceFirst("^unix:/*", "/")))) {
      RuntimeServiceBlockingStub runtime = client.runtime(Duration.ofMinutes(2));
      int pods = 0;
      for (PodSandbox pod : runtime.listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
        runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
        runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
        pods++;
      }
      int containers = 0;
      for (Container container : runtime.listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()) {
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(container.getId()).build());
        containers++;
      }
      System.out.println("removed " + pods + " pods and " + containers + " containers from " + socket);
    }
    return 0;
  }
}
