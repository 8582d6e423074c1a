package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    DaemonMeters meters = new DaemonMeters(registry);
    meters.countByState("berth.jobs", "Jobs by state", Phase.values(), () -> List.copyOf(jobs), Job::phase);
    assertEquals(0, gauge(registry, "new"), "a state with no object reads 0, not absent");
    assertEquals(2, gauge(registry, "running"));
    jobs.add(new Job(Phase.DONE));
    jobs.removeFirst();
    assertEquals(1, gauge(registry, "running"));
    assertEquals(1, gauge(registry, "done"));
  }

  @Test
  void theGaugesOutliveAGarbageCollection() throws InterruptedException {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<Job> jobs = List.of(new Job(Phase.NEW));
    DaemonMeters meters = new DaemonMeters(registry);
    // A lambda nothing else holds: Micrometer's default weak reference would let it go (NaN).
    meters.countByState("berth.jobs", "Jobs by state", Phase.values(), () -> jobs, Job::phase);
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(1, gauge(registry, "new"));
  }

  @Test
  void gcPausesAreCountedAndTimedPerCollectorAsTheCollectorsReport() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new DaemonMeters(registry);
    System.gc();
    for (java.lang.management.GarbageCollectorMXBean collector
        : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      io.micrometer.core.instrument.FunctionTimer pauses =
          registry.get("jvm.gc.pause").tag("gc", collector.getName()).functionTimer();
      long before = collector.getCollectionCount();
      double count = pauses.count();
      assertTrue(count >= before && count <= collector.getCollectionCount(), collector.getName() + ": " + count);
      assertEquals(collector.getCollectionTime(), pauses.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS), 50.0);
    }
    assertTrue(registry.get("jvm.gc.pause").functionTimers().stream().mapToDouble(t -> t.count()).sum() > 0,
        "System.gc() counted");
  }

  @Test
  void youngCollectorsEndMinorCollectionsAndTheOthersMajorOnes() {
    String[] serialYoung = {"Eden Space", "Survivor Space"};
    String[] g1All = {"G1 Eden Space", "G1 Survivor Space", "G1 Old Gen"};
    assertEquals("end of minor GC", GcPauseMeters.action("Copy", serialYoung));
    assertEquals("end of major GC", GcPauseMeters.action("MarkSweepCompact", new String[] {"Eden Space", "Survivor Space", "Tenured Gen"}));
    assertEquals("end of minor GC", GcPauseMeters.action("G1 Young Generation", g1All));
    assertEquals("end of major GC", GcPauseMeters.action("G1 Old Generation", g1All));
    assertEquals("end of major GC", GcPauseMeters.action("G1 Concurrent GC", new String[] {"G1 Old Gen"}));
    assertEquals("end of minor GC", GcPauseMeters.action("PS Scavenge", new String[] {"PS Eden Space", "PS Survivor Space"}));
  }
}
