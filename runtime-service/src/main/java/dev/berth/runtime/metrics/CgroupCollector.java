package dev.berth.runtime.metrics;

import dev.berth.runtime.stats.ContainerSample;
import dev.berth.runtime.stats.PodSample;
import dev.berth.runtime.stats.StatsCollector;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The container and pod series, registered on the same Prometheus registry as Micrometer's
 * meters so that one endpoint serves both, with cAdvisor's names kept exactly (Micrometer would
 * rename them). Built from scratch on every scrape: a removed container's series are simply gone,
 * and each cgroup is read once per scrape.
 */
public final class CgroupCollector implements MultiCollector {

  private final StatsCollector stats;
  private final ContainerSeries series;

  public CgroupCollector(StatsCollector stats, ContainerSeries series) {
    this.stats = stats;
    this.series = series;
  }

  @Override
  public MetricSnapshots collect() {
    Map<Family, List<Series>> byFamily = new LinkedHashMap<>();
    for (PodSample pod : stats.all()) {
      group(byFamily, series.pod(pod));
      for (ContainerSample container : pod.containers()) {
        group(byFamily, series.container(container));
      }
    }
    List<MetricSnapshot> snapshots = new ArrayList<>(byFamily.size());
    byFamily.forEach((family, values) -> snapshots.add(snapshot(family, values)));
    return new MetricSnapshots(snapshots);
  }

  private static void group(Map<Family, List<Series>> byFamily, List<Series> values) {
    for (Series value : values) {
      byFamily.computeIfAbsent(value.family(), f -> new ArrayList<>()).add(value);
    }
  }

  private static MetricSnapshot snapshot(Family family, List<Series> values) {
    List<String> keys = family.labelKeys();
    if (family.type() == Family.Type.COUNTER && family.name().endsWith("_total")) {
      // The model names a counter without its suffix; the text writer adds "_total" back.
      CounterSnapshot.Builder counter = CounterSnapshot.builder()
          .name(family.name().substring(0, family.name().length() - "_total".length())).help(family.help());
      for (Series value : values) {
        counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
            .labels(Labels.of(keys, value.labelValues())).value(value.value()).build());
      }
      return counter.build();
    }
    GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(family.name()).help(family.help());
    for (Series value : values) {
      gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
          .labels(Labels.of(keys, value.labelValues())).value(value.value()).build());
    }
    return gauge.build();
  }
}
