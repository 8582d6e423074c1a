package dev.berth.bench.workload;

import dev.berth.bench.report.Recorder;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.ListContainerStatsRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import java.util.List;

/**
 * kubelet-poll: one iteration is what the kubelet's PLEG relist and status loops ask of a runtime
 * with N pods: ListPodSandbox, ListContainers, ContainerStatus of every container, PodSandboxStatus
 * of every pod, ListContainerStats and ListPodSandboxStats. "relist" is the List and Status calls,
 * which every runtime serves; "relist+stats" adds the two stats calls when the runtime serves both,
 * so a runtime without stats is never compared on a cheaper iteration by accident.
 *
 * <p>The kubelet polls every second for the node's life, so the recorded iterations come after
 * {@code warmupLoops} unrecorded ones (see {@link WarmedLoop}); the first of those is recorded as
 * "relist first" and "relist+stats first", the cold cost of a fresh daemon and a fresh client.
 */
public final class KubeletPoll {

  public static final String NAME = "kubelet-poll";
  public static final String RELIST = "relist";
  public static final String RELIST_WITH_STATS = "relist+stats";
  public static final String RELIST_FIRST = RELIST + " first";
  public static final String RELIST_WITH_STATS_FIRST = RELIST_WITH_STATS + " first";

  /** One iteration's latencies in nanoseconds; a stats call is -1 when the runtime does not serve it. */
  record Relist(long listPodSandbox, long listContainers, long containerStatus, long podSandboxStatus,
      long containerStats, long sandboxStats) {

    long relist() {
      return listPodSandbox + listContainers + containerStatus + podSandboxStatus;
    }

    /** The relist with both stats calls, or -1 when either is not served. */
    long relistWithStats() {
      return containerStats >= 0 && sandboxStats >= 0 ? relist() + containerStats + sandboxStats : -1;
    }
  }

  private final CriPods pods;
  private final BenchOptions options;
  private final Recorder recorder;
  private final String target;
  private final Unimplemented containerStats = new Unimplemented();
  private final Unimplemented sandboxStats = new Unimplemented();

  public KubeletPoll(CriPods pods, BenchOptions options, Recorder recorder, String target) {
    this.pods = pods;
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run(PodFleet fleet) {
    int n = fleet.pods().size();
    WarmedLoop.run(options.warmupLoops(), options.pollLoops(), () -> relist(fleet.pods()), this::recordCold,
        relist -> recordSteady(relist, n));
    if (containerStats.skipped()) {
      recorder.skip(target, NAME, "ListContainerStats", containerStats.reason());
    }
    if (sandboxStats.skipped()) {
      recorder.skip(target, NAME, "ListPodSandboxStats", sandboxStats.reason());
    }
  }

  /** One relist of {@code running}, with the stats calls while the runtime serves them. */
  Relist relist(List<CriPods.Pod> running) {
    RuntimeServiceBlockingStub runtime = pods.runtime();
    long t0 = System.nanoTime();
    runtime.listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
    long t1 = System.nanoTime();
    runtime.listContainers(ListContainersRequest.getDefaultInstance());
    long t2 = System.nanoTime();
    for (CriPods.Pod pod : running) {
      runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(pod.containerId()).build());
    }
    long t3 = System.nanoTime();
    for (CriPods.Pod pod : running) {
      runtime.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod.sandboxId()).build());
    }
    long t4 = System.nanoTime();
    long cstats = containerStats.time(() -> runtime.listContainerStats(ListContainerStatsRequest.getDefaultInstance()));
    long pstats = sandboxStats.time(() -> runtime.listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance()));
    return new Relist(t1 - t0, t2 - t1, t3 - t2, t4 - t3, cstats, pstats);
  }

  private void recordCold(Relist relist) {
    recorder.addNanos(target, NAME, RELIST_FIRST, relist.relist());
    if (relist.relistWithStats() >= 0) {
      recorder.addNanos(target, NAME, RELIST_WITH_STATS_FIRST, relist.relistWithStats());
    }
  }

  private void recordSteady(Relist relist, int n) {
    recorder.addNanos(target, NAME, "ListPodSandbox", relist.listPodSandbox());
    recorder.addNanos(target, NAME, "ListContainers", relist.listContainers());
    recorder.addNanos(target, NAME, "ContainerStatus x" + n, relist.containerStatus());
    recorder.addNanos(target, NAME, "PodSandboxStatus x" + n, relist.podSandboxStatus());
    if (relist.containerStats() >= 0) {
      recorder.addNanos(target, NAME, "ListContainerStats", relist.containerStats());
    }
    if (relist.sandboxStats() >= 0) {
      recorder.addNanos(target, NAME, "ListPodSandboxStats", relist.sandboxStats());
    }
    recorder.addNanos(target, NAME, RELIST, relist.relist());
    if (relist.relistWithStats() >= 0) {
      recorder.addNanos(target, NAME, RELIST_WITH_STATS, relist.relistWithStats());
    }
  }
}
