package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    // The wrapper as an older Berth built it (ExecAttachLaunch still does); nobody opens the FIFO's other end, as after a kill.
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", "exec 3>\"$1\"; shift; exec \"$@\"", "conmon-wrapper",
        sync.toString(), "/bin/true"));
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

  @Test
  void aProcessIsKnownByItsPidAndStartTimeUntilItEnds() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    long start = ProcFs.startTime(sleeper.pid()).orElseThrow();
    try {
      assertTrue(ProcFs.isRunning(sleeper.pid(), start));
      assertFalse(ProcFs.isRunning(sleeper.pid(), start + 1), "another start time is another process");
      long self = ProcFs.startTime(ProcessHandle.current().pid()).orElseThrow();
      assertTrue(self <= start, "this JVM started first");
    } finally {
      sleeper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertFalse(ProcFs.isRunning(sleeper.pid(), start), "ended");
    assertTrue(ProcFs.startTime(-1).isEmpty());
  }
}
