package dev.berth.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects samples per target, workload and metric across rounds, and the calls a target could not
 * answer. Thread-safe: the parallel pod-start phase records from eight threads.
 */
public final class Recorder {

  public record Key(String target, String workload, String metric) {}

  public record Series(Key key, String unit, List<Double> values) {}

  public record Skip(String target, String workload, String what, String reason) {}

  private final Map<Key, Series> series = new LinkedHashMap<>();
  private final Set<Skip> skips = new LinkedHashSet<>();

  public synchronized void add(String target, String workload, String metric, String unit, double value) {
    series.computeIfAbsent(new Key(target, workload, metric), key -> new Series(key, unit, new ArrayList<>()))
        .values().add(value);
  }

  public void addNanos(String target, String workload, String metric, long nanos) {
    add(target, workload, metric, "ms", nanos / 1e6);
  }

  /** Says once per target and call that a call was skipped, however many rounds hit it. */
  public synchronized void skip(String target, String workload, String what, String reason) {
    skips.add(new Skip(target, workload, what, reason));
  }

  public synchronized List<Series> series() {
    return List.copyOf(series.values());
  }

  public synchronized Series find(String target, String workload, String metric) {
    return series.get(new Key(target, workload, metric));
  }

  /** Every series of one target's workload, in the order they were first recorded. */
  public synchronized List<Series> series(String target, String workload) {
    return series.values().stream()
        .filter(s -> s.key().target().equals(target) && s.key().workload().equals(workload))
        .toList();
  }

  public synchronized List<Skip> skips() {
    return List.copyOf(skips);
  }
}
