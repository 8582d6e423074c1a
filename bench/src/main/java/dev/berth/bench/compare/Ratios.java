package dev.berth.bench.compare;

import dev.berth.bench.report.Ratio;
import dev.berth.bench.report.Recorder;
import dev.berth.bench.report.Summary;
import dev.berth.bench.workload.ColdStart;
import dev.berth.bench.workload.ImagePull;
import dev.berth.bench.workload.KubeletPoll;
import dev.berth.bench.workload.Memory;
import dev.berth.bench.workload.PodStart;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The comparison's headline, first target over second target (below 1: the first is faster or
 * smaller), each on what both targets measured:
 * <ul>
 *   <li>pod-start p50: the largest of the p50 ratios of every pod-start phase (sequential and
 *       parallel, for pods with a PID namespace per container and for shared-PID pods), so that
 *       it meets a goal only when every kind of pod start does; {@link #podStartPhases} has each;
 *   <li>kubelet-poll p99: a whole relist, with the stats calls when both runtimes serve them;
 *   <li>memory: daemon plus shims RSS, median;
 *   <li>cold-start: a fresh daemon's start to first answer + first pod + first relist+stats;
 *   <li>pull: PullImage p50 of the generated image.
 * </ul>
 */
public final class Ratios {

  private static final List<String> POD_START_WORKLOADS = List.of(PodStart.NAME, PodStart.SHARED_PID_NAME);

  private Ratios() {}

  public static List<Ratio> compute(Recorder recorder, String a, String b) {
    String poll = recorder.find(a, KubeletPoll.NAME, KubeletPoll.RELIST_WITH_STATS) != null
        && recorder.find(b, KubeletPoll.NAME, KubeletPoll.RELIST_WITH_STATS) != null
        ? KubeletPoll.RELIST_WITH_STATS : KubeletPoll.RELIST;
    List<Ratio> ratios = new ArrayList<>();
    ratios.add(podStart(recorder, a, b));
    ratios.add(ratio(recorder, a, b, "kubelet-poll p99", KubeletPoll.NAME, poll, true));
    ratios.add(ratio(recorder, a, b, "memory", Memory.NAME, Memory.TOTAL, false));
    ratios.add(ratio(recorder, a, b, "cold-start", ColdStart.NAME, ColdStart.TOTAL, false));
    ratios.add(ratio(recorder, a, b, "pull", ImagePull.NAME, pullMetric(recorder, a), false));
    return ratios;
  }

  /** The p50 ratio of each pod-start phase both targets ran: whole pod starts, not single calls. */
  public static List<Ratio> podStartPhases(Recorder recorder, String a, String b) {
    List<Ratio> phases = new ArrayList<>();
    for (String workload : POD_START_WORKLOADS) {
      for (Recorder.Series series : recorder.series(a, workload)) {
        String metric = series.key().metric();
        if (metric.equals(PodStart.SEQUENTIAL) || metric.startsWith(PodStart.PARALLEL_PREFIX)) {
          Ratio ratio = ratio(recorder, a, b, workload + " " + metric + " p50", workload, metric, false);
          if (ratio.value() != null) {
            phases.add(ratio);
          }
        }
      }
    }
    return phases;
  }

  private static Ratio podStart(Recorder recorder, String a, String b) {
    return podStartPhases(recorder, a, b).stream()
        .max(Comparator.comparingDouble(Ratio::value))
        .map(worst -> new Ratio("pod-start p50", worst.workload(), worst.metric(), "p50", worst.value()))
        .orElse(new Ratio("pod-start p50", PodStart.NAME, PodStart.SEQUENTIAL, "p50", null));
  }

  private static String pullMetric(Recorder recorder, String target) {
    return recorder.series(target, ImagePull.NAME).stream()
        .map(series -> series.key().metric())
        .filter(metric -> metric.startsWith(ImagePull.PULL + " "))
        .findFirst()
        .orElse(ImagePull.PULL);
  }

  private static Ratio ratio(Recorder recorder, String a, String b, String name, String workload, String metric,
      boolean p99) {
    Recorder.Series sa = recorder.find(a, workload, metric);
    Recorder.Series sb = recorder.find(b, workload, metric);
    Double value = null;
    if (sa != null && sb != null) {
      Summary x = Summary.of(sa.values());
      Summary y = Summary.of(sb.values());
      value = p99 ? x.p99() / y.p99() : x.p50() / y.p50();
    }
    return new Ratio(name, workload, metric, p99 ? "p99" : "p50", value);
  }

  /**
   * {@code berth/containerd: pod-start p50 0.52, kubelet-poll p99 0.31, memory 0.20, cold-start 0.90, pull 0.80};
   * "n/a" when not measured.
   */
  public static String line(String a, String b, List<Ratio> ratios) {
    List<String> parts = new ArrayList<>();
    for (Ratio ratio : ratios) {
      parts.add(ratio.name() + " " + (ratio.value() == null ? "n/a" : String.format(Locale.ROOT, "%.2f", ratio.value())));
    }
    return a + "/" + b + ": " + String.join(", ", parts);
  }
}
