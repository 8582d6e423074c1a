package dev.berth.runtime.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.runtime.testing.PodTestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The processes behind a test daemon's containers, looked up the way an operator would. */
final class Shims {

  private Shims() {}

  /** The pid of the conmon serving a container or sandbox, from the pid file in the daemon's state dir. */
  static long conmonPid(PodTestEnv env, String id) throws IOException {
    return Long.parseLong(Files.readString(env.daemon().dir().resolve("state/shims").resolve(id)
        .resolve("conmon.pid")).strip());
  }

  /** The container's init pid as the daemon recorded it. */
  static long containerPid(PodTestEnv env, String id) throws IOException {
    String info = env.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id)
        .setVerbose(true).build()).getInfoOrThrow("info");
    return new ObjectMapper().readTree(info).get("pid").asLong();
  }

  /** SIGKILL, as the OOM killer or a stray kill -9 would deliver it. */
  static void kill(long pid) {
    ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid)).destroyForcibly();
  }

  /** Alive and not a zombie (PID 1 here does not reap orphans, so the dead linger as zombies). */
  static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException gone) {
      return false;
    }
  }
}
