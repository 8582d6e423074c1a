package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OldGenerationCeilingTest {

  private static final long MIB = 1L << 20;

  @Test
  void aSmallLiveSetMayCarryTheFloorOfGarbage() {
    assertEquals(15 * MIB + 16 * MIB, OldGenerationCeiling.ceilingAbove(15 * MIB, 16 * MIB));
  }

  @Test
  void aLargeLiveSetMayCarryAsMuchGarbageAgain() {
    assertEquals(80 * MIB, OldGenerationCeiling.ceilingAbove(40 * MIB, 16 * MIB));
  }

  @Test
  void negativeSizesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> OldGenerationCeiling.ceilingAbove(-1, 16 * MIB));
    assertThrows(IllegalArgumentException.class, () -> OldGenerationCeiling.ceilingAbove(0, -1));
  }

  /**
   * In this test JVM's own heap: garbage that lands in the old generation past the ceiling is
   * followed by a full collection and a new ceiling above what it kept.
   */
  @Test
  void garbagePastTheCeilingIsCollected() throws Exception {
    MemoryPoolMXBean oldGeneration = HeapReleaseInterceptor.oldGenerationPool()
        .filter(MemoryPoolMXBean::isUsageThresholdSupported).orElseThrow(
            () -> new AssertionError("this JVM's heap has no old generation with a usage threshold"));
    long collectionsBefore = collections();
    OldGenerationCeiling.watch(oldGeneration, 8 * MIB);
    long ceiling = oldGeneration.getUsageThreshold();
    assertTrue(ceiling > oldGeneration.getUsage().getUsed(), "first ceiling " + ceiling + " above today's use");
    long deadline = System.nanoTime() + 20_000_000_000L;
    List<byte[]> held = new ArrayList<>();
    while (oldGeneration.getUsageThreshold() == ceiling && System.nanoTime() < deadline) {
      // Large arrays go straight to the old generation in G1 and survive young collections while
      // held; dropping them leaves garbage there. Small ones fill eden, so young collections run
      // and the JVM checks the threshold after each.
      for (int i = 0; i < 8; i++) {
        held.add(new byte[4 << 20]);
      }
      for (int i = 0; i < 2_000; i++) {
        held.add(new byte[8 << 10]);
      }
      held.clear();
      Thread.sleep(10);
    }
    assertTrue(oldGeneration.getUsageThreshold() != ceiling, "the ceiling was set again after a collection");
    assertTrue(collections() > collectionsBefore, "a collection ran");
  }

  private static long collections() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
  }
}
