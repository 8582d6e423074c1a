package dev.berth.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuSupportTest {

  @TempDir
  Path dir;

  private Path fakeCriu(String body) throws IOException {
    Path script = dir.resolve("criu");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  @Test
  void aPassingCheckMeansAvailable() throws IOException {
    assertEquals(Optional.empty(), new CriuSupport(fakeCriu("echo Looks good.; exit 0")).unavailableReason());
  }

  @Test
  void aFailingCheckNamesCriusErrors() throws IOException {
    Path criu = fakeCriu("echo 'Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds' >&2\n"
        + "echo 'Error (criu/crtools.c:260): Could not initialize kernel features detection.' >&2\nexit 1");
    String reason = new CriuSupport(criu).unavailableReason().orElseThrow();
    assertTrue(reason.contains("check` failed (exit 1)"), reason);
    assertTrue(reason.contains("vdso: Unexpected rt vDSO area bounds; Error (criu/crtools.c:260)"), reason);
  }

  @Test
  void aMissingCriuSaysSo() {
    String reason = new CriuSupport(dir.resolve("nowhere/criu")).unavailableReason().orElseThrow();
    assertTrue(reason.startsWith("no criu executable at " + dir.resolve("nowhere/criu")), reason);
  }

  @Test
  void aBareNameIsLookedUpOnThePath() throws IOException {
    Path criu = fakeCriu("exit 0");
    CriuSupport support = new CriuSupport(Path.of("criu"), dir.resolve("empty") + ":" + dir);
    assertEquals(Optional.of(criu), support.binary());
    assertEquals(Optional.empty(), support.unavailableReason());
  }

  @Test
  void aBareNameNotOnThePathSaysWhereItLooked() {
    CriuSupport support = new CriuSupport(Path.of("criu"), dir.toString());
    assertEquals(Optional.empty(), support.binary());
    String reason = support.unavailableReason().orElseThrow();
    assertTrue(reason.startsWith("no criu executable named criu on the daemon's PATH (runtime.criu"), reason);
  }

  @Test
  void theCheckRunsOnce() throws IOException {
    Path counter = dir.resolve("runs");
    CriuSupport support = new CriuSupport(fakeCriu("echo x >> " + counter + "; exit 1"));
    support.unavailableReason();
    support.unavailableReason();
    assertEquals(1, Files.readAllLines(counter).size());
  }
}
