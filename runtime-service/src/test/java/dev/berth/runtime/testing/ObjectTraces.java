package dev.berth.runtime.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Everything on the node that still names one object id: mounts, processes, cgroups below the
 * test's cgroup root, files and directories under the test's directory (records, bundles,
 * snapshots, netns pins, pod files, CNI cache, shim files) and host-local IP reservations,
 * whose files hold the id of the container they were handed to.
 */
public final class ObjectTraces {

  private ObjectTraces() {}

  public static List<String> of(PodTestEnv env, String id) throws IOException {
    List<String> found = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      if (line.contains(id)) {
        found.add("mount: " + line);
      }
    }
    found.addAll(processes(id));
    found.addAll(cgroups(env.cgroupRoot(), id));
    // Files come and go under a live daemon while we look: a vanished one is skipped, not fatal.
    Files.walkFileTree(env.dir(), new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        return visitFile(dir, attrs);
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (file.getFileName().toString().contains(id)) {
          found.add("file: " + file);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE;
      }
    });
    Path ipam = env.dir().resolve("ipam");
    try (Stream<Path> walk = Files.walk(ipam)) {
      walk.filter(Files::isRegularFile).filter(file -> read(file).contains(id))
          .forEach(file -> found.add("ip reservation: " + file));
    }
    return found;
  }

  /** The processes whose command line names {@code id}. */
  public static List<String> processes(String id) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        if (!proc.getFileName().toString().chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
              .replace('\0', ' ');
          if (cmdline.contains(id)) {
            found.add("process " + proc.getFileName() + ": " + cmdline.strip());
          }
        } catch (IOException gone) {
          // Ended while we looked.
        }
      }
    }
    return found;
  }

  private static List<String> cgroups(String cgroupRoot, String id) throws IOException {
    List<String> found = new ArrayList<>();
    for (Path hierarchy : Leftovers.cgroupHierarchies()) {
      Path root = hierarchy.resolve(cgroupRoot.substring(1));
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(root, 3)) {
        walk.filter(Files::isDirectory).filter(dir -> dir.getFileName().toString().contains(id))
            .forEach(dir -> found.add("cgroup: " + dir));
      }
    }
    return found;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
