package dev.berth.runtime.faults;

import dev.berth.runtime.testing.Leftovers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    List<String> objects = new ArrayList<>();
    for (String dir : DIRS) {
      Path path = daemonDir.resolve(dir);
      if (Files.isDirectory(path)) {
        try (Stream<Path> entries = Files.list(path)) {
          entries.map(p -> dir + "/" + p.getFileName()).sorted().forEach(objects::add);
        }
      }
    }
    return new Footprint(objects, Leftovers.mounts(base), Leftovers.cgroups(cgroupRoot),
        Leftovers.processes(base).stream().map(p -> p.substring(p.indexOf(':') + 1)).sorted().toList());
  }
}
