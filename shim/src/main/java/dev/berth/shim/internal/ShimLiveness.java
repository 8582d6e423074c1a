package dev.berth.shim.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether the shim of an id is alive, asked every second for every container by the shim monitor.
 * The first answer proves the process by its pid file, command name and command line (which must
 * name the id, so that a recycled pid is never taken for the shim); after that the process is
 * known by its pid and start time, which no other process can share, and one read of its
 * /proc stat answers. With 100 containers that is 100 small reads a second instead of 300 opens
 * and ~2 MB of garbage.
 */
public final class ShimLiveness {

  /** A process told apart from any later one that reuses its pid. */
  private record ProcessStart(long pid, long startTicks) {
  }

  private final String command;
  private final String idFlag;
  private final Map<String, ProcessStart> proven = new ConcurrentHashMap<>();

  /** Shims run as {@code command}, and name their id after {@code idFlag} (conmon: {@code -u}). */
  public ShimLiveness(String command, String idFlag) {
    this.command = command;
    this.idFlag = idFlag;
  }

  /** Whether the shim that {@code pidFile} names is alive and serves {@code id}. */
  public boolean isAlive(String id, Path pidFile) {
    ProcessStart known = proven.get(id);
    if (known != null) {
      if (ProcFs.isRunning(known.pid(), known.startTicks())) {
        return true;
      }
      proven.remove(id, known);
    }
    Optional<Long> pid = ProcFs.readPid(pidFile);
    if (pid.isEmpty()) {
      return false;
    }
    Optional<ProcFs.Stat> stat = ProcFs.stat(pid.get());
    if (stat.isEmpty() || !stat.get().isLive() || !stat.get().command().equals(command)
        || !ProcFs.namesAfter(pid.get(), idFlag, id)) {
      return false;
    }
    proven.put(id, new ProcessStart(pid.get(), stat.get().startTicks()));
    return true;
  }

  /** Drops what is known of {@code id}'s shim: its container is gone. */
  public void forget(String id) {
    proven.remove(id);
  }

  /** How many shims are known; for tests. */
  int known() {
    return proven.size();
  }
}
