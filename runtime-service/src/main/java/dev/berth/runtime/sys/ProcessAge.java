package dev.berth.runtime.sys;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How long ago this process started, to within the kernel's 10 ms clock tick: what a fresh
 * daemon's launcher, JVM and flags cost before its own code runs. Not {@code ProcessHandle.info()}:
 * its start instant adds the boot time, which procfs gives in whole seconds, so its figure could be
 * a second off. Both figures here count from boot: the start in clock ticks (field 22 of
 * {@code /proc/self/stat}; USER_HZ is 100 on every Linux ABI) and {@code /proc/uptime}.
 */
public final class ProcessAge {

  private static final long MILLIS_PER_TICK = 10;

  private ProcessAge() {}

  /** This process's age in ms, or empty when procfs cannot say. */
  public static OptionalLong ofThisProcess() {
    try {
      return millis(ProcFiles.read(Path.of("/proc/self/stat")), ProcFiles.read(Path.of("/proc/uptime")));
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** The age that a process's {@code stat} line and the system's {@code uptime} line give. */
  static OptionalLong millis(String stat, String uptime) {
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    int nameEnd = stat.lastIndexOf(')');
    String[] fields = stat.substring(nameEnd + 1).trim().split(" ");
    String[] uptimes = uptime.trim().split(" ");
    if (nameEnd < 0 || fields.length < 20 || uptimes.length < 1) {
      return OptionalLong.empty();
    }
    try {
      long startedMillis = Long.parseLong(fields[19]) * MILLIS_PER_TICK;
      long nowMillis = Math.round(Double.parseDouble(uptimes[0]) * 1000);
      return OptionalLong.of(Math.max(0, nowMillis - startedMillis));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
