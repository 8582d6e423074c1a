package dev.berth.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line without a daemon: flags, config printing and their errors. */
class MainTest {

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void configPrintsTheEffectiveConfigWithFlagsOverTheFile() throws Exception {
    Path file = Files.writeString(dir.resolve("b.toml"), "root = \"/srv/a\"\nstate = \"/run/a\"\n");
    assertEquals(0, run("config", "--config", file.toString(), "--root", "/srv/b", "--log-level", "debug"));
    String toml = out.toString();
    assertTrue(toml.contains("root = '/srv/b'"), toml);
    assertTrue(toml.contains("state = '/run/a'"), toml);
    assertTrue(toml.contains("log_level = 'debug'"), toml);
    assertTrue(toml.contains("socket = '/run/berth/berth.sock'"), toml);
  }

  @Test
  void unknownFlagIsNamedAndIsAUsageError() {
    assertEquals(2, run("serve", "--sokcet", "/tmp/x"));
    assertTrue(err.toString().contains("'--sokcet'"), err.toString());
  }

  @Test
  void badLogLevelFlagIsNamed() {
    assertEquals(2, run("config", "--log-level", "loud"));
    assertTrue(err.toString().contains("flag --log-level: unknown log level 'loud'"), err.toString());
  }

  @Test
  void missingConfigFileIsNamed() {
    Path missing = dir.resolve("missing.toml");
    assertEquals(2, run("config", "--config", missing.toString()));
    assertTrue(err.toString().contains("config file " + missing + " does not exist"), err.toString());
  }

  @Test
  void serveReadWithoutPicocliNamesAMissingConfigFileAsAUsageError() {
    Path missing = dir.resolve("missing.toml");
    assertEquals(2, run("serve", "--config", missing.toString()));
    assertTrue(err.toString().contains("config file " + missing + " does not exist"), err.toString());
  }

  @Test
  void serveReadWithoutPicocliNamesABadFlagValue() {
    assertEquals(2, run("serve", "--log-level=loud"));
    assertTrue(err.toString().contains("flag --log-level: unknown log level 'loud'"), err.toString());
  }

  @Test
  void aCommandIsRequired() {
    assertEquals(2, run());
    assertTrue(err.toString().contains("a command is required"), err.toString());
  }

  @Test
  void clientCommandsSayWhenNoDaemonAnswers() {
    Path socket = dir.resolve("nobody.sock");
    assertEquals(1, run("version", "--socket", socket.toString()));
    assertTrue(err.toString().contains("call to " + socket + " failed: UNAVAILABLE"), err.toString());
  }

  @Test
  void checkOnAnEmptyHostNamesWhatIsMissingAndFails() {
    assertEquals(1, run("check", "--host-root", dir.toString()));
    assertTrue(out.toString().contains("MISSING OCI runtime"), out.toString());
    assertTrue(out.toString().contains("required things missing"), out.toString());
  }
}
