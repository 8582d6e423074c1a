package dev.berth.image.snapshot;

import dev.berth.image.sys.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads /proc/self/mountinfo: which paths are mount points, and which mount holds a path. */
public final class MountTable {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountTable() {}

  public static List<Path> mountPoints() throws IOException {
    List<Path> points = new ArrayList<>();
    for (String line : Files.readAllLines(MOUNTINFO)) {
      String[] fields = line.split(" ");
      if (fields.length > 4) {
        points.add(Path.of(unescape(fields[4])));
      }
    }
    return points;
  }

  /**
   * Whether something is mounted at the path. statx answers in microseconds; the mount table,
   * read only when the kernel cannot say, takes milliseconds on a node with hundreds of mounts,
   * and every CreateContainer asks.
   */
  public static boolean isMountPoint(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    java.util.Optional<Boolean> mountRoot = Syscalls.isMountRoot(p);
    if (mountRoot.isPresent()) {
      return mountRoot.get();
    }
    return mountPoints().contains(p);
  }

  /** The mount point of the filesystem that holds {@code path} (the longest matching prefix). */
  public static Path mountPointOf(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    Path best = Path.of("/");
    for (Path point : mountPoints()) {
      if (p.startsWith(point) && point.getNameCount() > best.getNameCount()) {
        best = point;
      }
    }
    return best;
  }

  /**
   * The source of the filesystem mounted at {@code mountPoint} ("/dev/vda1", "tmpfs"), as
   * mountinfo names it after the filesystem type; the last mount there wins, as it hides the others.
   */
  public static java.util.Optional<String> sourceOf(Path mountPoint) throws IOException {
    String source = null;
    Path wanted = mountPoint.toAbsolutePath().normalize();
    for (String line : Files.readAllLines(MOUNTINFO)) {
      String[] fields = line.split(" ");
      int separator = java.util.Arrays.asList(fields).indexOf("-");
      if (fields.length > 4 && separator > 0 && separator + 2 < fields.length
          && Path.of(unescape(fields[4])).equals(wanted)) {
        source = unescape(fields[separator + 2]);
      }
    }
    return java.util.Optional.ofNullable(source);
  }

  // mountinfo escapes space, tab, newline and backslash as \ooo octal.
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 4 <= field.length()) {
        try {
          out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
          i += 3;
          continue;
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
          // not an escape: keep the backslash
        }
      }
      out.append(c);
    }
    return out.toString();
  }
}
