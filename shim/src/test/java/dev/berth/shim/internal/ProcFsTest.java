package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the wrapper a killed daemon left blocked on a FIFO, by its command line. */
class ProcFsTest {

  @TempDir
  Path tmp;

  @Test
  void aWrapperBlockedOnItsSyncFifoIsFoundByItsFifoDirAndOnlyThere() throws Exception {
    Path launch = Files.createDirectories(tmp.resolve("shims").resolve("c1"));
    Path other = Files.createDirectories(tmp.resolve("shims").resolve("c2"));
    Path sync = launch.resolve("sync.fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", sync.toString()).start().waitFor());
    // The wrapper as ConmonLaunch builds it; nobody opens the FIFO's other end, as after a kill.
    List<String> argv = new ArrayList<>(ConmonLaunch.wrapper(List.of("/bin/true"), sync, null));
    Process wrapper = new ProcessBuilder(argv).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!ProcFs.wrappersOf(launch).contains(wrapper.pid()) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(List.of(wrapper.pid()), ProcFs.wrappersOf(launch));
      assertEquals(List.of(), ProcFs.wrappersOf(other));
      assertTrue(wrapper.isAlive(), "blocked on opening the FIFO");
    } finally {
      wrapper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertEquals(List.of(), ProcFs.wrappersOf(launch));
  }
}
