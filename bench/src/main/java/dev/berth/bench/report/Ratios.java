package dev.berth.bench.report;

import dev.berth.bench.workload.KubeletPoll;
import dev.berth.bench.workload.Memory;
import dev.berth.bench.workload.PodStart;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The comparison's headline: first target over second target on pod-start p50 (sequential),
 * kubelet-poll p99 (a whole relist; with stats only when both runtimes serve them) and memory
 * (daemon plus shims RSS, median). Below 1 means the first target is faster or smaller.
 */
public final class Ratios {

  public record Ratio(String name, String workload, String metric, String statistic, Double value) {}

  private Ratios() {}

  public static List<Ratio> compute(Recorder recorder, String a, String b) {
    String poll = recorder.find(a, KubeletPoll.NAME, KubeletPoll.RELIST_WITH_STATS) != null
        && recorder.find(b, KubeletPoll.NAME, KubeletPoll.RELIST_WITH_STATS) != null
        ? KubeletPoll.RELIST_WITH_STATS : KubeletPoll.RELIST;
    List<Ratio> ratios = new ArrayList<>();
    ratios.add(ratio(recorder, a, b, "pod-start p50", PodStart.NAME, "sequential", false));
    ratios.add(ratio(recorder, a, b, "kubelet-poll p99", KubeletPoll.NAME, poll, true));
    ratios.add(ratio(recorder, a, b, "memory", Memory.NAME, Memory.TOTAL, false));
    return ratios;
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

  /** {@code berth/containerd: pod-start p50 0.52, kubelet-poll p99 0.31, memory 0.20}; "n/a" when not measured. */
  public static String line(String a, String b, List<Ratio> ratios) {
    List<String> parts = new ArrayList<>();
    for (Ratio ratio : ratios) {
      parts.add(ratio.name() + " " + (ratio.value() == null ? "n/a" : String.format(Locale.ROOT, "%.2f", ratio.value())));
    }
    return a + "/" + b + ": " + String.join(", ", parts);
  }
}
