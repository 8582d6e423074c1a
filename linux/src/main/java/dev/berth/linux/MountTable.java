package dev.berth.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads /proc/self/mountinfo: every mount with its fields, which paths are mount points, and
 * which mount holds a path. The one parser of that file in Berth (images, cgroups, records).
 */
public final class MountTable {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
  /** Fields before the optional ones: id, parent, major:minor, root, mount point, options. */
  private static final int FIXED_FIELDS = 6;

  /**
   * One line of mountinfo (proc(5)), paths unescaped.
   *
   * @param root the directory of the filesystem that is mounted (a bind mount's source inside it)
   * @param superOptions the filesystem's own options (for a cgroup v1 mount, its controllers)
   */
  public record Mount(int id, int parentId, String device, String root, Path mountPoint, String options,
      List<String> optionalFields, String fsType, String source, String superOptions) {

    public Mount {
      optionalFields = List.copyOf(optionalFields);
    }

    public List<String> superOptionList() {
      return superOptions.isEmpty() ? List.of() : List.of(superOptions.split(","));
    }
  }

  private MountTable() {}

  /** Every mount of this process's mount namespace, in the kernel's order (a later mount hides an earlier one). */
  public static List<Mount> mounts() throws IOException {
    return parse(Files.readAllLines(MOUNTINFO));
  }

  /** The mounts of mountinfo lines; a line that is not one (none should be) is left out. */
  public static List<Mount> parse(List<String> lines) {
    List<Mount> mounts = new ArrayList<>(lines.size());
    for (String line : lines) {
      parse(line).ifPresent(mounts::add);
    }
    return mounts;
  }

  /**
   * One line: {@code id parent major:minor root mountpoint options [optional...] - fstype source superopts}.
   * Empty when the line lacks a field or the "-" that ends the optional fields.
   */
  public static Optional<Mount> parse(String line) {
    String[] fields = line.split(" ");
    int separator = Arrays.asList(fields).subList(Math.min(FIXED_FIELDS, fields.length), fields.length).indexOf("-");
    if (separator < 0 || FIXED_FIELDS + separator + 2 >= fields.length) {
      return Optional.empty();
    }
    separator += FIXED_FIELDS;
    try {
      return Optional.of(new Mount(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]), fields[2],
          unescape(fields[3]), Path.of(unescape(fields[4])), fields[5],
          Arrays.asList(fields).subList(FIXED_FIELDS, separator), fields[separator + 1],
          unescape(fields[separator + 2]), separator + 3 < fields.length ? fields[separator + 3] : ""));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  public static List<Path> mountPoints() throws IOException {
    return mounts().stream().map(Mount::mountPoint).toList();
  }

  /**
   * Whether something is mounted at the path. statx answers in microseconds; the mount table,
   * read only when the kernel cannot say, takes milliseconds on a node with hundreds of mounts,
   * and every CreateContainer asks.
   */
  public static boolean isMountPoint(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    Optional<Boolean> mountRoot = Syscalls.isMountRoot(p);
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
  public static Optional<String> sourceOf(Path mountPoint) throws IOException {
    return sourceOf(mountPoint, mounts());
  }

  static Optional<String> sourceOf(Path mountPoint, List<Mount> mounts) {
    String source = null;
    Path wanted = mountPoint.toAbsolutePath().normalize();
    for (Mount mount : mounts) {
      if (mount.mountPoint().equals(wanted)) {
        source = mount.source();
      }
    }
    return Optional.ofNullable(source);
  }

  // mountinfo escapes space, tab, newline and backslash as \ooo octal.
  static String unescape(String field) {
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
