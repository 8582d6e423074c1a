package dev.berth.runtime.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.runtime.cgroup.CgroupSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CgroupSpecCacheTest {

  /** Stands for the cgroup files: what each path holds now, and every path read. */
  private final Map<String, CgroupSpec> files = new HashMap<>();
  private final List<String> reads = new ArrayList<>();
  private final CgroupSpecCache cache = new CgroupSpecCache(path -> {
    reads.add(path);
    return Optional.ofNullable(files.get(path));
  });

  private static CgroupSpec shares(long shares) {
    return new CgroupSpec(shares, 0, 100_000, 0, 0);
  }

  @Test
  void secondScrapeReadsNoLimitFiles() {
    files.put("/pod/c1", shares(512));

    assertEquals(Optional.of(shares(512)), cache.spec("c1", "/pod/c1"));
    assertEquals(Optional.of(shares(512)), cache.spec("c1", "/pod/c1"));

    assertEquals(List.of("/pod/c1"), reads);
  }

  @Test
  void invalidatedEntryIsReadAgainWithTheNewLimits() {
    files.put("/pod/c1", shares(512));
    cache.spec("c1", "/pod/c1");

    files.put("/pod/c1", shares(1024));
    assertEquals(Optional.of(shares(512)), cache.spec("c1", "/pod/c1"), "unchanged until invalidated");
    cache.invalidate("c1");

    assertEquals(Optional.of(shares(1024)), cache.spec("c1", "/pod/c1"));
    assertEquals(List.of("/pod/c1", "/pod/c1"), reads);
  }

  @Test
  void invalidatingOneOwnerKeepsTheOthers() {
    files.put("/pod", shares(2));
    files.put("/pod/c1", shares(512));
    cache.spec("pod", "/pod");
    cache.spec("c1", "/pod/c1");

    cache.invalidate("pod");
    cache.spec("pod", "/pod");
    cache.spec("c1", "/pod/c1");

    assertEquals(List.of("/pod", "/pod/c1", "/pod"), reads);
  }

  @Test
  void missingCgroupIsNotRemembered() {
    assertEquals(Optional.empty(), cache.spec("c1", "/pod/c1"));
    files.put("/pod/c1", shares(256));

    assertEquals(Optional.of(shares(256)), cache.spec("c1", "/pod/c1"));
    assertEquals(1, cache.size());
  }

  @Test
  void retainOnlyForgetsRemovedOwners() {
    files.put("/pod/c1", shares(512));
    files.put("/pod/c2", shares(512));
    cache.spec("c1", "/pod/c1");
    cache.spec("c2", "/pod/c2");

    cache.retainOnly(Set.of("c2"));

    assertEquals(1, cache.size());
    cache.spec("c2", "/pod/c2");
    assertEquals(List.of("/pod/c1", "/pod/c2"), reads);
  }

  @Test
  void anotherCgroupPathForTheSameOwnerIsReadAfresh() {
    files.put("/a/c1", shares(512));
    files.put("/b/c1", shares(128));
    cache.spec("c1", "/a/c1");

    assertEquals(Optional.of(shares(128)), cache.spec("c1", "/b/c1"));
  }
}
