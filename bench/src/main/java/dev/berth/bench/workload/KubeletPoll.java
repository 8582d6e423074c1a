package dev.berth.bench.workload;

import dev.berth.bench.BenchOptions;
import dev.berth.bench.report.Recorder;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.ListContainerStatsRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;

/**
 * kubelet-poll: one iteration is what the kubelet's PLEG relist and status loops ask of a runtime
 * with N pods: ListPodSandbox, ListContainers, ContainerStatus of every container, PodSandboxStatus
 * of every pod, ListContainerStats and ListPodSandboxStats. "relist" is the List and Status calls,
 * which every runtime serves; "relist+stats" adds the two stats calls when the runtime serves both,
 * so a runtime without stats is never compared on a cheaper iteration by accident.
 */
public final class KubeletPoll {

  public static final String NAME = "kubelet-poll";
  public static final String RELIST = "relist";
  public static final String RELIST_WITH_STATS = "relist+stats";

  private final CriPods pods;
  private final BenchOptions options;
  private final Recorder recorder;
  private final String target;

  public KubeletPoll(CriPods pods, BenchOptions options, Recorder recorder, String target) {
    this.pods = pods;
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run(PodFleet fleet) {
    RuntimeServiceBlockingStub runtime = pods.runtime();
    Unimplemented containerStats = new Unimplemented();
    Unimplemented sandboxStats = new Unimplemented();
    int n = fleet.pods().size();
    for (int i = 0; i < options.pollLoops(); i++) {
      long t0 = System.nanoTime();
      runtime.listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
      long t1 = System.nanoTime();
      runtime.listContainers(ListContainersRequest.getDefaultInstance());
      long t2 = System.nanoTime();
      for (CriPods.Pod pod : fleet.pods()) {
        runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(pod.containerId()).build());
      }
      long t3 = System.nanoTime();
      for (CriPods.Pod pod : fleet.pods()) {
        runtime.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod.sandboxId()).build());
      }
      long t4 = System.nanoTime();
      long cstats = containerStats.time(() -> runtime.listContainerStats(ListContainerStatsRequest.getDefaultInstance()));
      long pstats = sandboxStats.time(() -> runtime.listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance()));

      recorder.addNanos(target, NAME, "ListPodSandbox", t1 - t0);
      recorder.addNanos(target, NAME, "ListContainers", t2 - t1);
      recorder.addNanos(target, NAME, "ContainerStatus x" + n, t3 - t2);
      recorder.addNanos(target, NAME, "PodSandboxStatus x" + n, t4 - t3);
      if (cstats >= 0) {
        recorder.addNanos(target, NAME, "ListContainerStats", cstats);
      }
      if (pstats >= 0) {
        recorder.addNanos(target, NAME, "ListPodSandboxStats", pstats);
      }
      recorder.addNanos(target, NAME, RELIST, t4 - t0);
      if (cstats >= 0 && pstats >= 0) {
        recorder.addNanos(target, NAME, RELIST_WITH_STATS, t4 - t0 + cstats + pstats);
      }
    }
    if (containerStats.skipped()) {
      recorder.skip(target, NAME, "ListContainerStats", containerStats.reason());
    }
    if (sandboxStats.skipped()) {
      recorder.skip(target, NAME, "ListPodSandboxStats", sandboxStats.reason());
    }
  }
}
