package dev.berth.bench.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How each figure grows from one run to a run with more pods (100 to 250, say): the p50 of every
 * target, workload and metric both runs have, and its growth beside the growth of the pod count.
 * A figure that grows no faster than the pods (growth per pods growth at most 1) scales linearly
 * or better. Metric names that carry the pod count ("ContainerStatus x100") are matched with it
 * taken out.
 */
public final class Growth {

  /** One figure in both runs; {@code perPods} is its growth over the pods' growth. */
  public record Row(String target, String workload, String metric, String unit, double from, double to,
      double growth, double perPods) {

    public boolean atMostLinear() {
      return perPods <= 1.0;
    }
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Growth() {}

  public static JsonReport.Document read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), JsonReport.Document.class);
  }

  public static List<Row> compare(JsonReport.Document from, JsonReport.Document to) {
    int podsFrom = pods(from);
    int podsTo = pods(to);
    double podsGrowth = (double) podsTo / podsFrom;
    Map<String, JsonReport.Row> earlier = new LinkedHashMap<>();
    for (JsonReport.Row row : from.results()) {
      earlier.put(key(row, podsFrom), row);
    }
    List<Row> rows = new ArrayList<>();
    for (JsonReport.Row row : to.results()) {
      JsonReport.Row before = earlier.get(key(row, podsTo));
      if (before == null || before.p50() == 0) {
        continue;
      }
      double growth = row.p50() / before.p50();
      rows.add(new Row(row.target(), row.workload(), withoutCount(row.metric(), podsTo), row.unit(), before.p50(),
          row.p50(), growth, growth / podsGrowth));
    }
    return rows;
  }

  public static void print(JsonReport.Document from, JsonReport.Document to, List<Row> rows, PrintStream out) {
    String format = "%-11s %-20s %-30s %10s %10s %7s %9s  %s%n";
    out.printf(Locale.ROOT, format, "target", "workload", "metric", "p50@" + pods(from), "p50@" + pods(to), "growth",
        "per pods", "unit");
    for (Row row : rows) {
      out.printf(Locale.ROOT, format, row.target(), row.workload(), row.metric(), number(row.from()), number(row.to()),
          String.format(Locale.ROOT, "%.2f", row.growth()), String.format(Locale.ROOT, "%.2f", row.perPods()),
          row.unit());
    }
  }

  private static int pods(JsonReport.Document document) {
    Object pods = document.settings().get("pods");
    if (!(pods instanceof Number number) || number.intValue() <= 0) {
      throw new IllegalArgumentException("the run of " + document.date() + " names no pod count in its settings");
    }
    return number.intValue();
  }

  private static String key(JsonReport.Row row, int pods) {
    return row.target() + "\u0000" + row.workload() + "\u0000" + withoutCount(row.metric(), pods);
  }

  /** "ContainerStatus x100" and "shims with 100 pods" become "ContainerStatus xN", "shims with N pods". */
  static String withoutCount(String metric, int pods) {
    return metric.replaceAll("(?<![0-9.])" + Pattern.quote(Integer.toString(pods)) + "(?![0-9.])", "N");
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
  }
}
