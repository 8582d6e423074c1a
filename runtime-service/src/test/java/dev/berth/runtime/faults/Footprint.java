package dev.berth.runtime.faults;

import dev.berth.runtime.testing.Leftovers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Everything a create could leave behind, taken before and after a failed call and compared:
 * object and record dirs, netns files, shim and runc state, CNI cache entries, mounts, pod
 * cgroups and processes.
 */
record Footprint(List<String> objects, List<String> mounts, List<String> cgroups, List<String> processes) {

  private static final List<String> DIRS = List.of("root/sandboxes", "root/containers", "root/cni-cache",
      "state/netns", "state/shims", "state/pods", "state/runc", "state/exits");

  /** {@code daemonDir} holds root/ and state/; mounts and processes are looked for below {@code base}. */
  static Footprint take(Path daemonDir, Path base, String cgroupRoot) throws IOException {
    List<String> found = new ArrayList<>();
    for (String dir : DIRS) {
      Path path = daemonDir.resolve(dir);
      if (Files.isDirectory(path)) {
        try (Stream<Path> entries = Files.list(path)) {
          entries.map(p -> dir + "/" + p.getFileName()).sorted().forEach(found::add);
        }
      }
    }
    // Spare infras are the daemon's own, made and remade in the background: their runtime and
    // shim state is not a create's footprint. Listed after the objects: a spare's directory
    // exists before any of its state does.
    Set<String> spares = new HashSet<>();
    Path sparesDir = daemonDir.resolve("state").resolve(Leftovers.SPARE_INFRAS);
    if (Files.isDirectory(sparesDir)) {
      try (Stream<Path> entries = Files.list(sparesDir)) {
        entries.map(p -> p.getFileName().toString()).forEach(spares::add);
      }
    }
    List<String> objects = found.stream().filter(o -> !spares.contains(o.substring(o.lastIndexOf('/') + 1))).toList();
    return new Footprint(objects, Leftovers.mounts(base), Leftovers.cgroups(cgroupRoot),
        Leftovers.processes(base).stream().map(p -> p.substring(p.indexOf(':') + 1)).sorted().toList());
  }
}
