package dev.berth.runtime.stats;

import dev.berth.runtime.cgroup.CgroupSpec;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The limit files of each pod's and container's cgroup ({@link CgroupSpec}), kept between
 * scrapes: they change only when Berth applies new limits (UpdateContainerResources,
 * UpdatePodSandboxResources), so a scrape of 100 pods need not open them again each time.
 * Entries are keyed by the pod's or container's id, whose cgroup path never changes; whoever
 * applies new limits calls {@link #invalidate} once they are written.
 *
 * <p>A load and an invalidation of the same id never interleave (both hold the map's lock of
 * that key), so a load that read the old files before an update can only be stored before that
 * update's invalidation removes it: a stale value never outlives the update.
 */
public final class CgroupSpecCache {

  private record Entry(String cgroupPath, CgroupSpec spec) {}

  private final Function<String, Optional<CgroupSpec>> reader;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  /** @param reader reads a cgroup's limit files by cgroup path; empty when the cgroup does not exist */
  public CgroupSpecCache(Function<String, Optional<CgroupSpec>> reader) {
    this.reader = reader;
  }

  /**
   * The limits of the cgroup of {@code ownerId}, read only when not already known; a cgroup
   * that does not exist (yet, or any more) is not remembered.
   */
  public Optional<CgroupSpec> spec(String ownerId, String cgroupPath) {
    Entry known = entries.get(ownerId);
    if (known != null && known.cgroupPath().equals(cgroupPath)) {
      return Optional.of(known.spec());
    }
    Entry loaded = entries.compute(ownerId, (id, current) -> current != null && current.cgroupPath().equals(cgroupPath)
        ? current : reader.apply(cgroupPath).map(spec -> new Entry(cgroupPath, spec)).orElse(null));
    return Optional.ofNullable(loaded).map(Entry::spec);
  }

  /** New limits were written to the cgroup of {@code ownerId}, or it is gone: read it again next time. */
  public void invalidate(String ownerId) {
    entries.remove(ownerId);
  }

  /** Forgets every entry but those of {@code ownerIds} (the pods and containers that still exist). */
  public void retainOnly(Set<String> ownerIds) {
    entries.keySet().retainAll(ownerIds);
  }

  /** How many cgroups' limits are known; for tests and diagnostics. */
  public int size() {
    return entries.size();
  }
}
