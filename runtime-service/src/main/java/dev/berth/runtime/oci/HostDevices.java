package dev.berth.runtime.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Device nodes of the host as the OCI spec wants them: type, major, minor, mode. */
public final class HostDevices {

  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;
  /** runc mounts these itself; listing them again would make it fail. */
  private static final Set<String> SKIPPED = Set.of("/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console");

  private HostDevices() {}

  /** The device node at {@code host}, to appear at {@code containerPath}; empty when it is none. */
  public static java.util.Optional<HostDevice> of(Path host, String containerPath, String permissions) {
    return java.util.Optional.ofNullable(describe(host, containerPath, permissions));
  }

  /** Every character and block device under /dev, for privileged containers. */
  public static List<HostDevice> all() {
    List<HostDevice> devices = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(Path.of("/dev"))) {
      for (Path path : walk.toList()) {
        if (SKIPPED.stream().anyMatch(skip -> path.toString().startsWith(skip))) {
          continue;
        }
        HostDevice device = describe(path, path.toString(), "rwm");
        if (device != null) {
          devices.add(device);
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      // /dev changes under us (hotplug); what we could read is what the container gets.
    }
    return devices;
  }

  private static HostDevice describe(Path host, String containerPath, String permissions) {
    try {
      int mode = (Integer) Files.getAttribute(host, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int format = mode & S_IFMT;
      if (format != S_IFCHR && format != S_IFBLK) {
        return null;
      }
      long rdev = (Long) Files.getAttribute(host, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
      // Linux encodes major and minor across split bit fields of dev_t.
      long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
      long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
      return new HostDevice(containerPath, format == S_IFCHR ? "c" : "b", major, minor, mode & 07777,
          permissions);
    } catch (IOException e) {
      return null;
    }
  }
}
