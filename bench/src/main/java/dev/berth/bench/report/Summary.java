package dev.berth.bench.report;

import java.util.Arrays;
import java.util.List;

/** Nearest-rank percentiles of one series: no interpolation, so every figure is a real sample. */
public record Summary(int runs, double p50, double p90, double p99, double max) {

  public static Summary of(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return new Summary(sorted.length, rank(sorted, 50), rank(sorted, 90), rank(sorted, 99), sorted[sorted.length - 1]);
  }

  private static double rank(double[] sorted, double percentile) {
    int index = (int) Math.ceil(percentile / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
