package dev.berth.runtime.oci;

import java.util.List;

/** The defaults containerd gives every non-privileged container, so workloads behave the same. */
public final class OciDefaults {

  private OciDefaults() {}

  public static final List<String> CAPABILITIES = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
      "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
      "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

  public static final List<String> MASKED_PATHS = List.of(
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
      "/sys/devices/virtual/powercap");

  public static final List<String> READONLY_PATHS = List.of(
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /** A process with no user set: root, no supplementary groups. */
  public static final OciSpec.User ROOT = new OciSpec.User(0, 0, null);

  /**
   * The kernel file systems every container gets. A privileged container gets /sys and its
   * cgroups writable, as containerd and CRI-O run them.
   */
  public static List<OciSpec.Mount> standardMounts(boolean privileged) {
    String sys = privileged ? "rw" : "ro";
    return List.of(
        mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
        mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
        mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
        mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", sys),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", sys));
  }

  /**
   * A bind mount of a host file or directory: recursive, with its propagation ({@code rprivate}
   * when none is asked for), then ro or rw, then any extra option.
   */
  public static OciSpec.Mount bind(String destination, String source, String propagation, boolean readonly,
      String... extra) {
    List<String> options = new java.util.ArrayList<>(List.of("rbind", propagation.isEmpty() ? "rprivate" : propagation,
        readonly ? "ro" : "rw"));
    options.addAll(List.of(extra));
    return new OciSpec.Mount(destination, "bind", source, List.copyOf(options));
  }

  private static OciSpec.Mount mount(String destination, String type, String source, String... options) {
    return new OciSpec.Mount(destination, type, source, List.of(options));
  }
}
