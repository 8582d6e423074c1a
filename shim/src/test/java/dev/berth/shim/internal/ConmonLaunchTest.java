package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConmonLaunchTest {

  @Test
  void wrapperOpensSyncBeforeStart() {
    List<String> argv = ConmonLaunch.wrapper(List.of("/usr/bin/conmon", "-c", "c1"), Path.of("/f/sync"),
        Path.of("/f/start"));
    assertEquals(List.of("/bin/sh", "-c", "exec 3>\"$1\" 4<\"$2\"; shift 2; exec \"$@\"", "conmon-wrapper",
        "/f/sync", "/f/start", "/usr/bin/conmon", "-c", "c1"), argv);
  }

  @Test
  void wrapperWithoutStartFifoOpensSyncOnly() {
    List<String> argv = ConmonLaunch.wrapper(List.of("/usr/bin/conmon"), Path.of("/f/sync"), null);
    assertEquals(List.of("/bin/sh", "-c", "exec 3>\"$1\"; shift; exec \"$@\"", "conmon-wrapper", "/f/sync",
        "/usr/bin/conmon"), argv);
  }
}
