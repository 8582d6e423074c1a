package dev.berth.runtime.metrics;

import dev.berth.cri.v1.ContainerMetrics;
import dev.berth.cri.v1.Metric;
import dev.berth.cri.v1.MetricDescriptor;
import dev.berth.cri.v1.MetricType;
import dev.berth.cri.v1.PodSandboxMetrics;
import dev.berth.cri.v1.UInt64Value;
import dev.berth.runtime.stats.ContainerSample;
import dev.berth.runtime.stats.PodSample;
import java.util.List;

/**
 * KEP-2371's ListMetricDescriptors and ListPodSandboxMetrics: the same families and series as
 * /metrics. CRI carries integers, so a value in seconds is truncated to whole seconds there.
 */
public final class CriMetrics {

  private final ContainerSeries series;

  public CriMetrics(ContainerSeries series) {
    this.series = series;
  }

  public List<MetricDescriptor> descriptors() {
    return ContainerFamilies.ALL.stream().map(family -> MetricDescriptor.newBuilder().setName(family.name())
        .setHelp(family.help()).addAllLabelKeys(family.labelKeys()).build()).toList();
  }

  public PodSandboxMetrics pod(PodSample pod) {
    PodSandboxMetrics.Builder metrics = PodSandboxMetrics.newBuilder().setPodSandboxId(pod.sandbox().id());
    series.pod(pod).forEach(value -> metrics.addMetrics(metric(value, pod.timestampNanos())));
    for (ContainerSample container : pod.containers()) {
      ContainerMetrics.Builder containerMetrics = ContainerMetrics.newBuilder()
          .setContainerId(container.container().id());
      series.container(container).forEach(value -> containerMetrics.addMetrics(metric(value,
          container.timestampNanos())));
      metrics.addContainerMetrics(containerMetrics);
    }
    return metrics.build();
  }

  private static Metric metric(Series value, long timestampNanos) {
    return Metric.newBuilder()
        .setName(value.family().name())
        .setTimestamp(timestampNanos)
        .setMetricType(value.family().type() == Family.Type.COUNTER ? MetricType.COUNTER : MetricType.GAUGE)
        .addAllLabelValues(value.labelValues())
        .setValue(UInt64Value.newBuilder().setValue((long) Math.max(0, value.value())))
        .build();
  }
}
