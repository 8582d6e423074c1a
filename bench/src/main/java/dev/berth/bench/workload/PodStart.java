package dev.berth.bench.workload;

import dev.berth.bench.report.Recorder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * pod-start (pods with a PID namespace per container, the kubelet's default) and
 * pod-start-shared-pid (pods whose containers share one PID namespace, which needs an infra
 * process): RunPodSandbox + CreateContainer + StartContainer of a busybox sleep, first one pod at
 * a time, then {@code parallel} at a time; each sample is one pod's latency. One at a time, each
 * call's latency is recorded too, to show where two runtimes differ. Teardowns are timed
 * the same way, after all pods of the phase are up, so starts and teardowns never overlap.
 */
public final class PodStart {

  public static final String NAME = "pod-start";
  public static final String SHARED_PID_NAME = "pod-start-shared-pid";
  public static final String SEQUENTIAL = "sequential";
  public static final String PARALLEL_PREFIX = "parallel ";

  private final String name;
  private final CriPods pods;
  private final BenchOptions options;
  private final Recorder recorder;
  private final String target;

  public PodStart(CriPods pods, BenchOptions options, Recorder recorder, String target) {
    this.name = workloadName(pods.pidNamespace());
    this.pods = pods;
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run() throws Exception {
    List<CriPods.Pod> started = new ArrayList<>();
    for (int i = 0; i < options.runs(); i++) {
      started.add(timedStart(SEQUENTIAL, true));
    }
    for (CriPods.Pod pod : started) {
      timedTeardown(pod, "teardown sequential");
    }
    // Whole waves, so that every sample really had parallel-1 others beside it.
    int waves = Math.max(1, (options.runs() + options.parallel() - 1) / options.parallel());
    try (ExecutorService pool = Executors.newFixedThreadPool(options.parallel())) {
      for (int wave = 0; wave < waves; wave++) {
        List<Future<CriPods.Pod>> starting = new ArrayList<>();
        for (int i = 0; i < options.parallel(); i++) {
          starting.add(pool.submit(() -> timedStart(parallelMetric(options.parallel()), false)));
        }
        List<CriPods.Pod> wavePods = new ArrayList<>();
        for (Future<CriPods.Pod> future : starting) {
          wavePods.add(future.get());
        }
        List<Future<?>> stopping = new ArrayList<>();
        for (CriPods.Pod pod : wavePods) {
          stopping.add(pool.submit(() -> timedTeardown(pod, "teardown parallel " + options.parallel())));
        }
        for (Future<?> future : stopping) {
          future.get();
        }
      }
    }
  }

  /** The workload's name for the kind of pods it starts. */
  public static String workloadName(CriPods.PidNamespace pidNamespace) {
    return switch (pidNamespace) {
      case PER_CONTAINER -> NAME;
      case SHARED_BY_POD -> SHARED_PID_NAME;
    };
  }

  /** The metric of the phase that starts {@code parallel} pods at a time. */
  public static String parallelMetric(int parallel) {
    return PARALLEL_PREFIX + parallel;
  }

  /** With {@code perCall}, each call's time is recorded too, as "{metric}: {call}". */
  private CriPods.Pod timedStart(String metric, boolean perCall) {
    CriPods.StepTimes calls = perCall
        ? (call, nanos) -> recorder.addNanos(target, name, metric + ": " + call, nanos)
        : CriPods.StepTimes.IGNORED;
    long start = System.nanoTime();
    CriPods.Pod pod = pods.start(calls);
    recorder.addNanos(target, name, metric, System.nanoTime() - start);
    return pod;
  }

  private void timedTeardown(CriPods.Pod pod, String metric) {
    long start = System.nanoTime();
    pods.teardown(pod);
    recorder.addNanos(target, name, metric, System.nanoTime() - start);
  }
}
