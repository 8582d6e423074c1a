package dev.berth.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The report for machines: the same rows as the table, plus the run's settings and the ratios. */
public final class JsonReport {

  public record Row(String target, String workload, String metric, String unit, int runs, double p50, double p90,
      double p99, double max) {}

  public record Document(String date, String host, int cores, Map<String, Object> settings, List<Row> results,
      List<Recorder.Skip> skipped, List<Ratio> ratios, List<Ratio> podStartPhases) {}

  private JsonReport() {}

  public static Document document(String date, String host, Map<String, Object> settings, Recorder recorder,
      List<Ratio> ratios, List<Ratio> podStartPhases) {
    List<Row> rows = recorder.series().stream().map(series -> {
      Summary s = Summary.of(series.values());
      Recorder.Key key = series.key();
      return new Row(key.target(), key.workload(), key.metric(), series.unit(), s.runs(), s.p50(), s.p90(), s.p99(),
          s.max());
    }).toList();
    return new Document(date, host, Runtime.getRuntime().availableProcessors(), settings, rows, recorder.skips(),
        ratios, podStartPhases);
  }

  public static void write(Document document, Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
  }
}
