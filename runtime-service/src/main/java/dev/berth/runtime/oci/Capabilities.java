package dev.berth.runtime.oci;

import dev.berth.runtime.model.CriException;
import dev.berth.runtime.sys.ProcFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The capability set of a container: containerd's defaults, then the CRI adds and drops. */
public final class Capabilities {

  /** Every capability by number, as the kernel's capability.h lists them. */
  private static final List<String> KNOWN = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
      "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
      "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
      "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
      "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE");

  private Capabilities() {}

  /** Every capability the kernel names, in its order. */
  public static List<String> known() {
    return KNOWN;
  }

  /**
   * Every capability the daemon itself may hand out: its own bounding set, as containerd gives
   * privileged containers. A capability outside it (a node that drops one) would fail the create.
   */
  public static List<String> all() {
    return DaemonBoundingSet.CAPABILITIES;
  }

  /** Read once, on first use: the daemon's bounding set does not change while it runs. */
  private static final class DaemonBoundingSet {
    static final List<String> CAPABILITIES = read();
  }

  private static List<String> read() {
    long bounding = -1L;
    try {
      for (String line : ProcFiles.read(Path.of("/proc/self/status")).split("\n")) {
        if (line.startsWith("CapBnd:")) {
          bounding = Long.parseUnsignedLong(line.substring(7).trim(), 16);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Without /proc, offer every capability known at build time.
    }
    List<String> all = new java.util.ArrayList<>();
    for (int bit = 0; bit < KNOWN.size(); bit++) {
      if ((bounding & (1L << bit)) != 0) {
        all.add(KNOWN.get(bit));
      }
    }
    return List.copyOf(all);
  }

  /**
   * containerd's defaults, then {@code add} (ALL adds {@code all}), then {@code drop} (ALL drops
   * the defaults first). Pure: {@code all} is {@link #all()} in the daemon.
   */
  public static List<String> resolve(List<String> add, List<String> drop, List<String> all) {
    Set<String> caps = new LinkedHashSet<>(OciDefaults.CAPABILITIES);
    if (containsAll(drop)) {
      caps.clear();
    }
    if (containsAll(add)) {
      caps.addAll(all);
    } else {
      add.forEach(cap -> caps.add(normalise(cap)));
    }
    drop.stream().filter(cap -> !cap.equalsIgnoreCase("ALL")).forEach(cap -> caps.remove(normalise(cap)));
    return List.copyOf(caps);
  }

  private static boolean containsAll(List<String> caps) {
    return caps.stream().anyMatch(cap -> cap.equalsIgnoreCase("ALL"));
  }

  static String normalise(String cap) {
    String upper = cap.trim().toUpperCase(Locale.ROOT);
    String name = upper.startsWith("CAP_") ? upper : "CAP_" + upper;
    if (!KNOWN.contains(name)) {
      throw new CriException.InvalidArgument("unknown capability \"" + cap + "\"");
    }
    return name;
  }
}
