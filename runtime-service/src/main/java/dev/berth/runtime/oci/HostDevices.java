package dev.berth.runtime.oci;

import dev.berth.runtime.container.DeviceSpec;
import dev.berth.runtime.model.CriException;
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

  /** The devices a CRI config names; a missing or non-device host path is an invalid argument. */
  public static List<OciSpecBuilder.HostDevice> resolve(List<DeviceSpec> devices) {
    List<OciSpecBuilder.HostDevice> resolved = new ArrayList<>();
    for (DeviceSpec device : devices) {
      Path host = Path.of(device.hostPath());
      OciSpecBuilder.HostDevice node = describe(host, device.containerPath(), device.permissions());
      if (node == null) {
        throw new CriException.InvalidArgument("device host_path \"" + device.hostPath() + "\" is not a device node");
      }
      resolved.add(node);
    }
    return resolved;
  }

  /** Every character and block device under /dev, for privileged containers. */
  public static List<OciSpecBuilder.HostDevice> all() {
    List<OciSpecBuilder.HostDevice> devices = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(Path.of("/dev"))) {
      for (Path path : walk.toList()) {
        if (SKIPPED.stream().anyMatch(skip -> path.toString().startsWith(skip))) {
          continue;
        }
        OciSpecBuilder.HostDevice device = describe(path, path.toString(), "rwm");
        if (device != null) {
          devices.add(device);
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      // /dev changes under us (hotplug); what we could read is what the container gets.
    }
    return devices;
  }

  private static OciSpecBuilder.HostDevice describe(Path host, String containerPath, String permissions) {
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
      return new OciSpecBuilder.HostDevice(containerPath, format == S_IFCHR ? "c" : "b", major, minor, mode & 07777,
          permissions);
    } catch (IOException e) {
      return null;
    }
  }
}
