package dev.berth.runtime.metrics;

import dev.berth.runtime.stats.ContainerSample;
import dev.berth.runtime.stats.PodSample;
import dev.berth.runtime.stats.StatsCollector;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The container and pod series in the Prometheus text format (0.0.4), written after the daemon's
 * own meters on the same endpoint. Written here rather than through the Prometheus client's model:
 * that model names every counter with "_total", and cAdvisor's counters
 * {@code container_memory_failcnt} and {@code container_hugetlb_failcnt} have no such suffix, so
 * dashboards would lose them. Built from scratch on every scrape: a removed or stopped
 * container's series are simply gone, and each cgroup is read once per scrape.
 */
public final class ContainerMetricsText implements MetricsServer.Section {

  private final StatsCollector stats;
  private final ContainerSeries series;

  public ContainerMetricsText(StatsCollector stats, ContainerSeries series) {
    this.stats = stats;
    this.series = series;
  }

  @Override
  public void writeTo(OutputStream out) throws IOException {
    Map<Family, List<Series>> byFamily = new LinkedHashMap<>();
    for (PodSample pod : stats.all()) {
      group(byFamily, series.pod(pod));
      for (ContainerSample container : pod.containers()) {
        group(byFamily, series.container(container));
      }
    }
    Writer text = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 16 * 1024);
    for (Map.Entry<Family, List<Series>> family : byFamily.entrySet()) {
      write(text, family.getKey(), family.getValue());
    }
    text.flush();
  }

  private static void group(Map<Family, List<Series>> byFamily, List<Series> values) {
    for (Series value : values) {
      byFamily.computeIfAbsent(value.family(), f -> new ArrayList<>()).add(value);
    }
  }

  static void write(Writer out, Family family, List<Series> values) throws IOException {
    out.write("# HELP ");
    out.write(family.name());
    out.write(' ');
    escape(out, family.help(), false);
    out.write("\n# TYPE ");
    out.write(family.name());
    out.write(family.type() == Family.Type.COUNTER ? " counter\n" : " gauge\n");
    List<String> keys = family.labelKeys();
    for (Series value : values) {
      out.write(family.name());
      out.write('{');
      List<String> labels = value.labelValues();
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          out.write(',');
        }
        out.write(keys.get(i));
        out.write("=\"");
        escape(out, labels.get(i), true);
        out.write('"');
      }
      out.write("} ");
      out.write(number(value.value()));
      out.write('\n');
    }
  }

  /** Backslash and newline in help texts; the double quote too in label values (the text format's escapes). */
  private static void escape(Writer out, String text, boolean quote) throws IOException {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.write("\\\\");
        case '\n' -> out.write("\\n");
        case '"' -> out.write(quote ? "\\\"" : "\"");
        default -> out.write(c);
      }
    }
  }

  /** Whole numbers without a fraction (most of these series count bytes or events), the rest as Java writes doubles. */
  static String number(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "+Inf" : "-Inf";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return Double.toString(value);
  }
}
