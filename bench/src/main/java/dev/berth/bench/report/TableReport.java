package dev.berth.bench.report;

import java.io.PrintStream;
import java.util.Locale;

/** The report for people: one row per target, workload and metric, then what was skipped and why. */
public final class TableReport {

  private static final String ROW = "%-11s %-20s %-30s %5s %10s %10s %10s %10s  %s%n";

  private TableReport() {}

  public static void print(Recorder recorder, PrintStream out) {
    out.printf(Locale.ROOT, ROW, "target", "workload", "metric", "runs", "p50", "p90", "p99", "max", "unit");
    for (Recorder.Series series : recorder.series()) {
      Summary s = Summary.of(series.values());
      Recorder.Key key = series.key();
      out.printf(Locale.ROOT, ROW, key.target(), key.workload(), key.metric(), s.runs(),
          number(s.p50()), number(s.p90()), number(s.p99()), number(s.max()), series.unit());
    }
    for (Recorder.Skip skip : recorder.skips()) {
      out.printf(Locale.ROOT, "skipped: %s %s %s: %s%n", skip.target(), skip.workload(), skip.what(), skip.reason());
    }
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
  }
}
