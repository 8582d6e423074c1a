package dev.berth.runtime.metrics;

import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/** The daemon's own gauges: containers and pods by state, and the JVM's meters. */
public final class DaemonMeters {

  private final MeterRegistry registry;

  public DaemonMeters(MeterRegistry registry) {
    this.registry = registry;
    // Two of Micrometer's processor meters fail promtool's lint under the names Micrometer's
    // Prometheus naming gives them: "system_cpu_count" (a gauge ending in _count, reserved for
    // histograms) and "process_cpu_time_ns_total" (an abbreviated unit). The CPU time is served
    // under the name every Prometheus client library uses; the CPU count is left out.
    // The filter goes first: Micrometer applies a filter only to meters registered after it.
    registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("system.cpu.count")
        || id.getName().equals("process.cpu.time")));
    new JvmMemoryMetrics().bindTo(registry);
    GcPauseMeters.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9).baseUnit("seconds")
          .description("Total user and system CPU time spent in seconds").register(registry);
    }
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /**
   * One gauge per state, tagged with the state's name in lower case, counting the objects in that
   * state at each scrape. Every state gets its gauge, so a state with no object reads 0. The
   * caller names the objects and their states: this package knows no manager.
   */
  public <T, S extends Enum<S>> void countByState(String name, String description, S[] states,
      Supplier<? extends Collection<T>> objects, Function<T, S> stateOf) {
    for (S state : states) {
      // Strongly held: the supplier is often a method reference that nothing else keeps, and
      // Micrometer's default weak reference would let it be collected and the gauge read NaN.
      Gauge.builder(name, objects, all -> all.get().stream().filter(o -> stateOf.apply(o) == state).count())
          .strongReference(true).description(description).tag("state", state.name().toLowerCase(Locale.ROOT)).register(registry);
    }
  }
}
