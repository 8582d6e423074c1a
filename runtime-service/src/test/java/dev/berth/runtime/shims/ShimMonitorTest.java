package dev.berth.runtime.shims;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.shim.ConmonShim;
import dev.berth.shim.ShimConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor against owners that are not managers: it knows ids only. No conmon runs here, so
 * every shim reads as dead (no pid file), and no binary is ever started.
 */
class ShimMonitorTest {

  @TempDir
  Path dir;

  /** An owner that records what it was handed, and fails on the ids it is told to. */
  private static class RecordingOwner implements ShimOwner {
    final List<String> ids;
    final List<String> failing;
    final List<String> settled = new ArrayList<>();

    RecordingOwner(List<String> ids, List<String> failing) {
      this.ids = ids;
      this.failing = failing;
    }

    @Override
    public String kind() {
      return "thing";
    }

    @Override
    public List<String> idsWithShims() {
      return ids;
    }

    @Override
    public void onShimDeath(String id) {
      settled.add(id);
      if (failing.contains(id)) {
        throw new IllegalStateException("cannot settle " + id);
      }
    }
  }

  private ShimMonitor monitor(List<ShimOwner> owners) {
    ConmonShim shim = new ConmonShim(new ShimConfig(Path.of("/nonexistent/conmon"), Path.of("/nonexistent/runc"),
        dir.resolve("runc"), dir.resolve("exits"), dir.resolve("shims"), dir.resolve("sockets")));
    // A period far beyond the test: only the explicit check() runs.
    return ShimMonitor.start(shim, owners, java.time.Duration.ofHours(1));
  }

  @Test
  void eachDeadShimGoesBackToTheOwnerThatNamedIt() {
    RecordingOwner containers = new RecordingOwner(List.of("c1", "c2"), List.of());
    RecordingOwner pods = new RecordingOwner(List.of("p1"), List.of());
    try (ShimMonitor monitor = monitor(List.of(containers, pods))) {
      monitor.check();
    }
    assertEquals(List.of("c1", "c2"), containers.settled);
    assertEquals(List.of("p1"), pods.settled);
  }

  @Test
  void oneObjectThatCannotBeSettledDoesNotStopTheOthers() {
    RecordingOwner first = new RecordingOwner(List.of("a", "b"), List.of("a"));
    RecordingOwner second = new RecordingOwner(List.of("c"), List.of("c"));
    RecordingOwner third = new RecordingOwner(List.of("d"), List.of());
    try (ShimMonitor monitor = monitor(List.of(first, second, third))) {
      monitor.check();
      monitor.check();
    }
    assertEquals(List.of("a", "b", "a", "b"), first.settled, "tried again at the next check");
    assertEquals(List.of("c", "c"), second.settled);
    assertEquals(List.of("d", "d"), third.settled);
  }

  @Test
  void anOwnerWithNothingToWatchIsNeverCalledBack() {
    RecordingOwner idle = new RecordingOwner(List.of(), List.of());
    try (ShimMonitor monitor = monitor(List.of(idle))) {
      monitor.check();
    }
    assertEquals(List.of(), idle.settled);
  }

  /** A pod's infra runs without a conmon: its owner says whether it lives, and only the dead are settled. */
  @Test
  void anOwnerWhoseObjectsRunWithoutAConmonIsAskedItself() {
    RecordingOwner pods = new RecordingOwner(List.of("alive", "dead"), List.of()) {
      @Override
      public boolean alive(ConmonShim shims, String id) {
        return id.equals("alive");
      }
    };
    try (ShimMonitor monitor = monitor(List.of(pods))) {
      monitor.check();
    }
    assertEquals(List.of("dead"), pods.settled);
  }
}
