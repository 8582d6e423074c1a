package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class DaemonMetersTest {

  private enum Phase { NEW, RUNNING, DONE }

  private record Job(Phase phase) {}

  private static double gauge(SimpleMeterRegistry registry, String state) {
    return registry.get("berth.jobs").tag("state", state).gauge().value();
  }

  @Test
  void everyStateHasAGaugeThatCountsTheObjectsInItAtEachRead() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<Job> jobs = new CopyOnWriteArrayList<>(List.of(new Job(Phase.RUNNING), new Job(Phase.RUNNING)));
    try (DaemonMeters meters = new DaemonMeters(registry)) {
      meters.countByState("berth.jobs", "Jobs by state", Phase.values(), () -> List.copyOf(jobs), Job::phase);
      assertEquals(0, gauge(registry, "new"), "a state with no object reads 0, not absent");
      assertEquals(2, gauge(registry, "running"));
      jobs.add(new Job(Phase.DONE));
      jobs.removeFirst();
      assertEquals(1, gauge(registry, "running"));
      assertEquals(1, gauge(registry, "done"));
    }
  }

  @Test
  void theGaugesOutliveAGarbageCollection() throws InterruptedException {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<Job> jobs = List.of(new Job(Phase.NEW));
    try (DaemonMeters meters = new DaemonMeters(registry)) {
      // A lambda nothing else holds: Micrometer's default weak reference would let it go (NaN).
      meters.countByState("berth.jobs", "Jobs by state", Phase.values(), () -> jobs, Job::phase);
      for (int i = 0; i < 3; i++) {
        System.gc();
        Thread.sleep(10);
      }
      assertEquals(1, gauge(registry, "new"));
    }
  }
}
