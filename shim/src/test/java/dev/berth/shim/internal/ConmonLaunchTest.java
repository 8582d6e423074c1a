package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.berth.linux.PosixSpawn;
import dev.berth.linux.SpawnRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How conmon is spawned: its argv, environment and fds, without spawning it. */
class ConmonLaunchTest {

  private static final Map<String, String> DAEMON_ENV = Map.of("PATH", "/usr/bin:/bin", "_OCI_STARTPIPE", "9");

  @Test
  void aCreateGetsTheSyncFifoAsFd3AndTheStartFifoAsFd4AndNothingElse() {
    SpawnRequest request = ConmonLaunch.spawnRequest(List.of("/usr/bin/conmon", "-c", "c1"), Path.of("/w"),
        Path.of("/f/sync"), Path.of("/f/start"), Path.of("/f/conmon.out"), DAEMON_ENV);

    assertEquals(List.of("/usr/bin/conmon", "-c", "c1"), request.argv(), "conmon itself, no sh in front");
    assertEquals(Path.of("/w"), request.workDir());
    assertEquals(List.of(
        new SpawnRequest.Open(0, Path.of("/dev/null"), PosixSpawn.O_RDONLY, 0),
        new SpawnRequest.Open(1, Path.of("/f/conmon.out"), PosixSpawn.O_WRONLY | PosixSpawn.O_CREAT
            | PosixSpawn.O_APPEND, 0644),
        new SpawnRequest.Dup2(1, 2),
        new SpawnRequest.Open(3, Path.of("/f/sync"), PosixSpawn.O_WRONLY, 0),
        new SpawnRequest.Open(4, Path.of("/f/start"), PosixSpawn.O_RDONLY, 0),
        new SpawnRequest.CloseFrom(5)), request.fileActions());
    assertEquals(List.of("PATH=/usr/bin:/bin", "_OCI_STARTPIPE=4", "_OCI_SYNCPIPE=3"), request.environmentStrings());
  }

  @Test
  void anExecGetsTheSyncFifoOnlyAndNoStartPipeVariable() {
    SpawnRequest request = ConmonLaunch.spawnRequest(List.of("/usr/bin/conmon", "-e"), Path.of("/w"),
        Path.of("/f/sync"), null, Path.of("/f/conmon.out"), DAEMON_ENV);

    assertEquals(new SpawnRequest.Open(3, Path.of("/f/sync"), PosixSpawn.O_WRONLY, 0),
        request.fileActions().get(3));
    assertEquals(new SpawnRequest.CloseFrom(4), request.fileActions().getLast());
    assertEquals(5, request.fileActions().size());
    assertEquals(List.of("PATH=/usr/bin:/bin", "_OCI_SYNCPIPE=3"), request.environmentStrings());
    assertFalse(request.environment().containsKey("_OCI_STARTPIPE"), "a start pipe the daemon's env named would hang conmon");
  }
}
