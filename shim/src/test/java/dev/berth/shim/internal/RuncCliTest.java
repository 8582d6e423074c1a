package dev.berth.shim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RuncCliTest {

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
