package dev.berth.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrowthTest {

  @TempDir
  Path dir;

  private static JsonReport.Document run(int pods, JsonReport.Row... rows) {
    return new JsonReport.Document("2026-12-06T23:00:00Z", "host", 2, Map.of("pods", pods), List.of(rows),
        List.of(), List.of(), List.of());
  }

  private static JsonReport.Row row(String target, String workload, String metric, double p50) {
    return new JsonReport.Row(target, workload, metric, "ms", 20, p50, p50, p50, p50);
  }

  @Test
  void metricsNamedWithThePodCountAreMatchedAcrossRuns() {
    List<Growth.Row> rows = Growth.compare(
        run(100, row("berth", "kubelet-poll", "ContainerStatus x100", 20)),
        run(250, row("berth", "kubelet-poll", "ContainerStatus x250", 40)));
    assertEquals(1, rows.size());
    Growth.Row growth = rows.get(0);
    assertEquals("ContainerStatus xN", growth.metric());
    assertEquals(2.0, growth.growth());
    assertEquals(0.8, growth.perPods(), 1e-9);
    assertTrue(growth.atMostLinear());
  }

  @Test
  void aFigureThatGrowsFasterThanThePodsIsNotLinear() {
    Growth.Row growth = Growth.compare(
        run(100, row("berth", "kubelet-poll", "relist+stats", 100)),
        run(250, row("berth", "kubelet-poll", "relist+stats", 300))).get(0);
    assertEquals(1.2, growth.perPods(), 1e-9);
    assertFalse(growth.atMostLinear());
  }

  @Test
  void onlyFiguresOfTheSameTargetWorkloadAndMetricInBothRunsAreCompared() {
    List<Growth.Row> rows = Growth.compare(
        run(100, row("berth", "memory", "daemon RSS", 150), row("containerd", "memory", "daemon RSS", 120),
            row("berth", "image-pull", "PullImage 50MB", 900)),
        run(250, row("berth", "memory", "daemon RSS", 180), row("berth", "scrape", "GET", 100)));
    assertEquals(List.of("berth memory daemon RSS"),
        rows.stream().map(r -> r.target() + " " + r.workload() + " " + r.metric()).toList());
  }

  @Test
  void theCountIsTakenOutOnlyWhereItStandsAlone() {
    assertEquals("shims with N pods", Growth.withoutCount("shims with 100 pods", 100));
    assertEquals("GET first with N pods", Growth.withoutCount("GET first with 250 pods", 250));
    assertEquals("PullImage 1000MB", Growth.withoutCount("PullImage 1000MB", 100));
    assertEquals("parallel 8", Growth.withoutCount("parallel 8", 100));
  }

  @Test
  void aRunWithoutAPodCountIsRefused() {
    JsonReport.Document noPods = new JsonReport.Document("d", "h", 2, Map.of(), List.of(), List.of(), List.of(),
        List.of());
    assertThrows(IllegalArgumentException.class, () -> Growth.compare(noPods, run(250)));
  }

  @Test
  void theJsonOfARunIsReadBackAndPrintedWithBothPodCounts() throws IOException {
    Recorder recorder = new Recorder();
    recorder.add("berth", "kubelet-poll", "relist", "ms", 40);
    Path from = dir.resolve("n100.json");
    JsonReport.write(JsonReport.document("d1", "h", Map.of("pods", 100), recorder, List.of(), List.of()), from);
    recorder.add("berth", "kubelet-poll", "relist", "ms", 100);
    recorder.add("berth", "kubelet-poll", "relist", "ms", 100);
    Path to = dir.resolve("n250.json");
    JsonReport.write(JsonReport.document("d2", "h", Map.of("pods", 250), recorder, List.of(), List.of()), to);

    JsonReport.Document earlier = Growth.read(from);
    JsonReport.Document later = Growth.read(to);
    List<Growth.Row> rows = Growth.compare(earlier, later);
    assertEquals(2.5, rows.get(0).growth());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Growth.print(earlier, later, rows, new PrintStream(out, true, StandardCharsets.UTF_8));
    String table = out.toString(StandardCharsets.UTF_8);
    assertTrue(table.contains("p50@100") && table.contains("p50@250"), table);
    assertTrue(table.contains("relist") && table.contains("2.50") && table.contains("1.00"), table);
  }
}
