package dev.berth.runtime.metrics;

import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import java.lang.management.ManagementFactory;

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
    // Two of Micrometer's processor meters fail promtool's lint under the names Micrometer's
    // Prometheus naming gives them: "system_cpu_count" (a gauge ending in _count, reserved for
    // histograms) and "process_cpu_time_ns_total" (an abbreviated unit). The CPU time is served
    // under the name every Prometheus client library uses; the CPU count is left out.
    registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("system.cpu.count")
        || id.getName().equals("process.cpu.time")));
    if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9).baseUnit("seconds")
          .description("Total user and system CPU time spent in seconds").register(registry);
    }
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  @Override
  public void close() {
    gc.close();
  }
}
