package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shim proven once by its pid file and command line is then known by its pid and start time.
 * Real processes stand in for conmon: {@code sh -c 'sleep 30; :' -u ID} runs as "sh" and names
 * its id after {@code -u}, as conmon does (the {@code ; :} keeps sh from exec'ing sleep).
 */
class ShimLivenessTest {

  @TempDir
  Path tmp;

  private final ShimLiveness liveness = new ShimLiveness("sh", "-u");
  private Process shim;

  @AfterEach
  void stop() throws InterruptedException {
    if (shim != null) {
      shim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Path startShim(String id) throws Exception {
    shim = new ProcessBuilder("sh", "-c", "sleep 30; :", "-u", id).start();
    return Files.writeString(tmp.resolve(id + ".pid"), Long.toString(shim.pid()));
  }

  @Test
  void aProvenShimIsKnownByItsProcessWithoutItsPidFileUntilItDies() throws Exception {
    Path pidFile = startShim("c1");

    assertTrue(liveness.isAlive("c1", pidFile));
    Files.delete(pidFile);
    assertTrue(liveness.isAlive("c1", pidFile), "known by pid and start time, the pid file not read again");

    shim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    assertFalse(liveness.isAlive("c1", pidFile));
    assertEquals(0, liveness.known(), "a dead shim is forgotten");
  }

  @Test
  void aProcessThatDoesNotNameTheIdOrRunsAnotherCommandIsNotTheShim() throws Exception {
    Path pidFile = startShim("c1");
    Path copy = Files.writeString(tmp.resolve("c2.pid"), Long.toString(shim.pid()));

    assertFalse(liveness.isAlive("c2", copy), "its command line names c1");
    assertFalse(new ShimLiveness("conmon", "-u").isAlive("c1", pidFile), "it runs sh, not conmon");
    assertFalse(liveness.isAlive("c3", tmp.resolve("missing.pid")));
    assertEquals(0, liveness.known());
  }

  @Test
  void forgettingAnIdMakesTheNextQueryProveItAgain() throws Exception {
    Path pidFile = startShim("c1");
    assertTrue(liveness.isAlive("c1", pidFile));

    liveness.forget("c1");
    Files.delete(pidFile);

    assertEquals(0, liveness.known());
    assertFalse(liveness.isAlive("c1", pidFile), "no pid file, nothing known: not alive");
  }

  @Test
  void statReadsTheStateAndAStartTimeThatDoesNotChange() {
    long self = ProcessHandle.current().pid();
    ProcFs.Stat first = ProcFs.stat(self).orElseThrow();
    ProcFs.Stat again = ProcFs.stat(self).orElseThrow();

    assertTrue(first.isLive());
    assertTrue(first.startTicks() > 0, "start time " + first.startTicks());
    assertEquals(first.startTicks(), again.startTicks());
    assertEquals(first.command(), again.command());
    assertTrue(ProcFs.stat(Long.MAX_VALUE).isEmpty());
  }
}
