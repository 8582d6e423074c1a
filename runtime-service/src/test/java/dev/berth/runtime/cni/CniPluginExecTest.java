package dev.berth.runtime.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exec protocol against fake plugins: small shell scripts in a temporary plugin directory. */
class CniPluginExecTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final CniPluginExec.Invocation ADD =
      new CniPluginExec.Invocation("ADD", "sb1", "/run/netns/x", "eth0", "IgnoreUnknown=1;K8S_POD_NAME=p");

  @TempDir
  Path dir;

  Path bin;
  CniPluginExec exec;

  @BeforeEach
  void setUp() throws IOException {
    bin = Files.createDirectories(dir.resolve("bin"));
    exec = new CniPluginExec(List.of(dir.resolve("absent"), bin), Duration.ofSeconds(2));
  }

  @Test
  void thePluginSeesTheCniEnvironmentAndItsConfigOnStdin() throws Exception {
    plugin("echoenv", """
        cat > "$(dirname "$0")/../stdin"
        printf '{"cniVersion":"1.0.0","env":"%s|%s|%s|%s|%s|%s"}' \
          "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH"
        """);
    JsonNode config = JSON.readTree("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"echoenv\"}");

    JsonNode result = exec.run("echoenv", ADD, config);

    assertEquals("ADD|sb1|/run/netns/x|eth0|IgnoreUnknown=1;K8S_POD_NAME=p|" + dir.resolve("absent") + ":" + bin,
        result.path("env").asText());
    assertEquals(config, JSON.readTree(dir.resolve("stdin").toFile()));
  }

  @Test
  void anErrorObjectBecomesAnExceptionNamingThePluginAndItsMessage() throws IOException {
    plugin("failing", """
        cat > /dev/null
        echo '{"cniVersion":"1.0.0","code":11,"msg":"no more addresses","details":"range full"}'
        exit 1
        """);

    CniException e = assertThrows(CniException.class, () -> exec.run("failing", ADD, JSON.createObjectNode()));

    assertEquals("failing", e.plugin());
    assertEquals(11, e.code());
    assertEquals("no more addresses", e.pluginMessage());
    assertEquals("range full", e.details());
    assertTrue(e.getMessage().contains("failing") && e.getMessage().contains("no more addresses"), e.getMessage());
  }

  @Test
  void withoutAnErrorObjectStderrExplainsTheFailure() throws IOException {
    plugin("crashing", "echo 'panic: boom' >&2; exit 2");
    CniException e = assertThrows(CniException.class, () -> exec.run("crashing", ADD, JSON.createObjectNode()));
    assertEquals("crashing", e.plugin());
    assertTrue(e.getMessage().contains("exit status 2: panic: boom"), e.getMessage());
  }

  @Test
  void aMissingPluginIsNamed() {
    CniException e = assertThrows(CniException.class, () -> exec.run("nosuchplugin", ADD, JSON.createObjectNode()));
    assertEquals("nosuchplugin", e.plugin());
    assertTrue(e.getMessage().contains("\"nosuchplugin\" not found"), e.getMessage());
  }

  @Test
  void aTypeWithASlashIsNeverRun() {
    CniException e = assertThrows(CniException.class, () -> exec.run("../bin/sh", ADD, JSON.createObjectNode()));
    assertTrue(e.getMessage().contains("not found"), e.getMessage());
  }

  @Test
  void aHangingPluginIsKilledAfterTheTimeout() throws Exception {
    Path pidFile = dir.resolve("pid");
    plugin("hanging", "echo $$ > " + pidFile + "; sleep 30 & wait");
    exec = new CniPluginExec(List.of(bin), Duration.ofMillis(500));

    long started = System.nanoTime();
    CniException e = assertThrows(CniException.class, () -> exec.run("hanging", ADD, JSON.createObjectNode()));

    assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos());
    assertEquals("hanging", e.plugin());
    assertTrue(e.getMessage().contains("did not finish within 500 ms"), e.getMessage());
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "plugin " + pid + " still runs");
  }

  @Test
  void anEmptyStdoutIsNoResult() throws Exception {
    plugin("quiet", "cat > /dev/null");
    assertNull(exec.run("quiet", ADD, JSON.createObjectNode()));
  }

  private void plugin(String name, String body) throws IOException {
    Path script = bin.resolve(name);
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
