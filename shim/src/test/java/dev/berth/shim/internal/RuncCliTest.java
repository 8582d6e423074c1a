package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuncCliTest {

  @TempDir
  Path dir;

  /** A stand-in runtime: a script given its arguments, as runc would be. */
  private RuncCli runtime(String script) throws Exception {
    Path binary = dir.resolve("fake-runc");
    Files.writeString(binary, "#!/bin/sh\n" + script);
    Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
    return new RuncCli(binary, dir.resolve("root"), null, Duration.ofSeconds(30));
  }

  /**
   * What {@code run --detach} leaves behind keeps the runtime's stdio open for good: the call
   * returns when the runtime exits, not when its stdio closes.
   */
  @Test
  void aDetachedRunReturnsWhenTheRuntimeExitsThoughItsChildKeepsItsStdio() throws Exception {
    Path pid = dir.resolve("child.pid");
    RuncCli runtime = runtime("sleep 60 & echo $! > " + pid + "\nexit 0\n");
    try {
      long started = System.nanoTime();
      RuncCli.Result result = runtime.runDetached(dir.resolve("run.err"), Duration.ofSeconds(20), "run", "--detach",
          "x");
      assertEquals(0, result.exitCode());
      assertTrue(System.nanoTime() - started < Duration.ofSeconds(20).toNanos(), "waited for the child's stdio");
      assertEquals(List.of("run", "--detach", "x"), result.args());
    } finally {
      long child = Long.parseLong(Files.readString(pid).strip());
      ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void aDetachedRunThatFailsCarriesTheRuntimesError() throws Exception {
    RuncCli runtime = runtime("echo 'time=\"t\" level=error msg=\"runc run failed: no such bundle\"' >&2\nexit 1\n");

    RuncCli.Result result = runtime.runDetached(dir.resolve("run.err"), Duration.ofSeconds(20), "run", "x");

    assertEquals(1, result.exitCode());
    assertEquals("runc run failed: no such bundle", result.error());
  }

  @Test
  void theErrorIsNamedWithoutTheCleanUpWarningsBeforeIt() {
    String stderr = """
        time="2026-11-25T20:00:00Z" level=warning msg="cannot toggle freezer: cgroups not configured"
        time="2026-11-25T20:00:00Z" level=warning msg="lstat : no such file or directory"
        time="2026-11-25T20:00:00Z" level=error msg="runc create failed: error mounting \\"/a\\" to rootfs at \\"/etc/passwd\\": not a directory"
        """;
    assertEquals("runc create failed: error mounting \"/a\" to rootfs at \"/etc/passwd\": not a directory",
        RuncCli.errorText(stderr));
  }

  @Test
  void recordsJoinedOnOneLineAreTakenApart() {
    String joined = "time=\"t\" level=warning msg=\"noise\" time=\"t\" level=error msg=\"container does not exist\"";
    assertEquals("container does not exist", RuncCli.errorText(joined));
  }

  @Test
  void onlyWarningsOrPlainTextAreKeptWhole() {
    assertEquals("a; b", RuncCli.errorText("level=warning msg=\"a\"\nlevel=warning msg=\"b\"\n"));
    assertEquals("exec: no such file", RuncCli.errorText("  exec: no such file \n"));
  }
}
