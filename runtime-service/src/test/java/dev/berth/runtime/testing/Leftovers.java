package dev.berth.runtime.testing;

import dev.berth.runtime.sandbox.SpareInfras;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a test run may leave behind under its own directory: mounts, processes, cgroups. */
public final class Leftovers {

  private Leftovers() {}

  /**
   * Whether a path or command line is a spare infra's ({@code SpareInfras}: its network namespace
   * pin, its cgroup, its `runc run`): the daemon's own, kept while it runs and not a pod's.
   * What follows leaves them out; SpareInfraPodTest checks that they go with a stop.
   */
  public static boolean ofSpareInfra(String text) {
    return text.contains("/" + SPARE_INFRAS);
  }

  /** The directory (in the state directory) and cgroup (below the default parent) of spare infras. */
  public static final String SPARE_INFRAS = SpareInfras.NAME;

  /** Mount points at or below {@code dir}, but a spare infra's. */
  public static List<String> mounts(Path dir) throws IOException {
    List<String> found = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String mountpoint = line.split(" ")[4];
      if (mountpoint.startsWith(dir.toString()) && !ofSpareInfra(mountpoint)) {
        found.add(mountpoint);
      }
    }
    return found;
  }

  /** Processes (other than this JVM) whose command line names {@code dir}: shims, containers; not a spare infra's runc. */
  public static List<String> processes(Path dir) throws IOException {
    List<String> found = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
          continue;
        }
        try {
          String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
              .replace('\0', ' ');
          if (cmdline.contains(dir.toString()) && !ofSpareInfra(cmdline)) {
            found.add(name + ": " + cmdline.trim());
          }
        } catch (IOException gone) {
          // The process ended while we looked.
        }
      }
    }
    return found;
  }

  /**
   * The roots of every cgroup hierarchy this host mounts (each v1 controller, the v2 mount of a
   * hybrid layout, or the single v2 root), from /proc/self/mountinfo: listing /sys/fs/cgroup
   * finds v1 hierarchies only, and on a v2 host would look below cgroups instead of at the root.
   */
  public static List<Path> cgroupHierarchies() throws IOException {
    return PodTestEnv.hostCgroups().hierarchyRoots();
  }

  /**
   * Pod cgroups still below {@code cgroupRoot} (e.g. "/berthtest-ab12") in any hierarchy. The
   * root itself is the node-wide parent that runc creates on first use, like /kubepods.
   */
  public static List<String> cgroups(String cgroupRoot) throws IOException {
    List<String> found = new ArrayList<>();
    for (Path hierarchy : cgroupHierarchies()) {
      Path dir = hierarchy.resolve(cgroupRoot.substring(1));
      if (Files.isDirectory(dir)) {
        try (Stream<Path> children = Files.list(dir)) {
          children.filter(Files::isDirectory).filter(child -> !child.getFileName().toString().equals(SPARE_INFRAS))
              .forEach(child -> found.add(child.toString()));
        }
      }
    }
    return found;
  }
}
