package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What both models do with cgroup directories: make, remove, enable controllers, write limits. */
final class CgroupDirectories {

  private static final Logger log = LoggerFactory.getLogger(CgroupDirectories.class);

  private CgroupDirectories() {}

  /** The path below each root; empty and escaping paths refused. */
  static String owned(String cgroupPath) {
    String relative = CgroupReader.relative(cgroupPath);
    if (relative.isEmpty()) {
      throw new IllegalArgumentException("refusing the root cgroup '" + cgroupPath + "'");
    }
    return relative;
  }

  static void create(List<Path> roots, String cgroupPath) throws IOException {
    String relative = owned(cgroupPath);
    for (Path root : roots) {
      Files.createDirectories(root.resolve(relative));
    }
  }

  /**
   * Gives each level from the v1 cpuset root down to the cgroup the CPUs and memory nodes of its
   * parent where it has none: a v1 cpuset cgroup starts empty, and a process cannot join one that
   * is ("No space left on device"). runc does the same for the cgroups it makes.
   */
  static void inheritCpuset(Path cpusetRoot, String cgroupPath) throws IOException {
    Path parent = cpusetRoot;
    for (Path part : Path.of(owned(cgroupPath))) {
      Path dir = parent.resolve(part.toString());
      for (String file : new String[] {"cpuset.cpus", "cpuset.mems"}) {
        if (CgroupFiles.read(dir.resolve(file)).isBlank()) {
          Files.writeString(dir.resolve(file), CgroupFiles.read(parent.resolve(file)).trim());
        }
      }
      parent = dir;
    }
  }

  /** Writes {@code pid} into the cgroup's cgroup.procs in every hierarchy; the cgroup must exist. */
  static void place(List<Path> roots, String cgroupPath, long pid) throws IOException {
    String relative = owned(cgroupPath);
    for (Path root : roots) {
      Path procs = root.resolve(relative).resolve("cgroup.procs");
      try {
        Files.writeString(procs, Long.toString(pid));
      } catch (IOException e) {
        throw new IOException("cannot move process " + pid + " into " + procs + ": " + e.getMessage(), e);
      }
    }
  }

  /** Removes the cgroup and those below it from every hierarchy; see {@link CgroupTreeRemoval} for a busy one. */
  static void remove(List<Path> roots, String cgroupPath) throws IOException {
    String relative = owned(cgroupPath);
    CgroupTreeRemoval removal = new CgroupTreeRemoval(CgroupTreeRemoval.HOST);
    IOException first = null;
    for (Path root : roots) {
      Path dir = root.resolve(relative);
      try {
        removal.remove(dir);
      } catch (IOException e) {
        if (first == null) {
          first = new IOException("cannot remove cgroup " + dir + ": " + e.getMessage(), e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * Writes "+controller" into cgroup.subtree_control from {@code unifiedRoot} down to the pod,
   * for each wanted controller the level offers and has not enabled. A parent with processes of
   * its own may not enable controllers (v2's "no internal processes" rule); a pod cgroup and its
   * ancestors have none, which is why this stops at the pod.
   */
  static void enableBelow(Path unifiedRoot, String podCgroup, Set<String> wanted) {
    Path dir = unifiedRoot;
    try {
      for (String part : owned(podCgroup).split("/")) {
        enable(dir, wanted);
        dir = dir.resolve(part);
        if (!Files.isDirectory(dir)) {
          return; // runc did not place this pod in the v2 hierarchy
        }
      }
      enable(dir, wanted);
    } catch (IOException e) {
      log.warn("cannot enable {} below {} ({}): their stats and limits stay out of reach of its containers", wanted,
          dir, e.getMessage());
    }
  }

  private static void enable(Path dir, Set<String> wanted) throws IOException {
    Path control = dir.resolve("cgroup.subtree_control");
    Set<String> enabled = Set.of(CgroupFiles.read(control).trim().split(" "));
    if (enabled.containsAll(wanted)) {
      return; // the common case on every pod start after the first: one small read per level
    }
    Set<String> offered = Set.of(CgroupFiles.read(dir.resolve("cgroup.controllers")).trim().split(" "));
    for (String controller : wanted) {
      if (offered.contains(controller) && !enabled.contains(controller)) {
        // One controller per write: a write naming several fails whole when one of them is refused.
        Files.writeString(control, "+" + controller);
      }
    }
  }

  /**
   * Writes each value into its file, in order. {@code directoryOf} gives the directory of a
   * controller's files, or null when no hierarchy has that controller.
   */
  static void write(List<CgroupFileWrite> writes, Function<String, Path> directoryOf) throws IOException {
    for (CgroupFileWrite write : writes) {
      Path dir = directoryOf.apply(write.controller());
      if (dir == null) {
        throw new UnsupportedOperationException("cannot write " + write.file() + ": no " + write.controller()
            + " hierarchy is mounted on this node");
      }
      Path file = dir.resolve(write.file());
      if (!Files.exists(file)) {
        if (write.optional()) {
          continue;
        }
        throw new NoSuchFileException(file.toString(), null, "cgroup file does not exist (controller "
            + write.controller() + " not enabled for this cgroup, or the cgroup is gone)");
      }
      try {
        Files.writeString(file, write.value());
      } catch (IOException e) {
        throw new IOException("writing '" + write.value() + "' to " + file + ": " + reason(e), e);
      }
    }
  }

  /** The kernel's refusal ("Invalid argument", "Device or resource busy") without Java's file name repeated. */
  private static String reason(IOException e) {
    if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
      return fs.getReason();
    }
    return e.getMessage();
  }

  /** The text of a file, or null when it does not exist or cannot be read (a question, not a read of stats). */
  static String readIfPresent(Path file) {
    try {
      return CgroupFiles.readIfPresent(file);
    } catch (IOException e) {
      return null;
    }
  }
}
