package dev.berth.runtime.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's interfaces, read from /proc/INFRA_PID/net/dev: procfs shows the network namespace of
 * the process it is read through, so no setns (which would move a JVM thread) is needed.
 */
public final class NetDev {

  private final Path proc;

  public NetDev(Path proc) {
    this.proc = proc;
  }

  /** Every interface but loopback; empty when the process is gone. */
  public List<InterfaceStats> read(long pid) throws IOException {
    if (pid <= 0) {
      return List.of();
    }
    try {
      return parse(new String(Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("net").resolve("dev")),
          StandardCharsets.ISO_8859_1));
    } catch (NoSuchFileException gone) {
      return List.of();
    }
  }

  /** Two header lines, then "name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop ...". */
  static List<InterfaceStats> parse(String text) {
    List<InterfaceStats> interfaces = new ArrayList<>();
    for (String line : text.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || line.contains("|")) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      if (name.equals("lo")) {
        continue;
      }
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      interfaces.add(new InterfaceStats(name, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
          Long.parseLong(f[3]), Long.parseLong(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]), Long.parseLong(f[11])));
    }
    return interfaces;
  }
}
