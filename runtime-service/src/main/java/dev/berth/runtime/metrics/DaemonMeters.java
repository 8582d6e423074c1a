package dev.berth.runtime.metrics;

import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/** The daemon's own gauges: containers and pods by state, and the JVM's meters. */
public final class DaemonMeters implements AutoCloseable {

  private final JvmGcMetrics gc = new JvmGcMetrics();

  public DaemonMeters(MeterRegistry registry, ContainerManager containers, SandboxManager sandboxes) {
    for (ContainerState state : ContainerState.values()) {
      Gauge.builder("berth.containers", containers,
              c -> c.list().stream().filter(container -> container.state() == state).count())
          .description("Containers by state").tag("state", state.name().toLowerCase()).register(registry);
    }
    for (SandboxState state : SandboxState.values()) {
      Gauge.builder("berth.pods", sandboxes,
              s -> s.list().stream().filter(sandbox -> sandbox.state() == state).count())
          .description("Pod sandboxes by state").tag("state", state.name().toLowerCase()).register(registry);
    }
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  @Override
  public void close() {
    gc.close();
  }
}
