package dev.berth.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The picocli-free reading of plain serve command lines, and what it leaves to picocli. */
class ServeArgumentsTest {

  private static ConfigOptions parsed(String... args) {
    return ServeArguments.parse(List.of(args)).orElseThrow();
  }

  private static boolean leftToPicocli(String... args) {
    return ServeArguments.parse(List.of(args)).isEmpty();
  }

  @Test
  void everyConfigFlagIsReadInBothSpellings() {
    ConfigOptions options = parsed("serve", "--config", "/etc/berth/config.toml", "--socket=/run/b.sock",
        "--root", "/var/lib/b", "--state=/run/b", "--log-level", "debug", "--streaming-address=127.0.0.1:0",
        "--metrics-address", "off");

    assertEquals(Path.of("/etc/berth/config.toml"), options.configFile);
    assertEquals(Path.of("/run/b.sock"), options.socket);
    assertEquals(Path.of("/var/lib/b"), options.root);
    assertEquals(Path.of("/run/b"), options.state);
    assertEquals("debug", options.logLevel);
    assertEquals("127.0.0.1:0", options.streamingAddress);
    assertEquals("off", options.metricsAddress);
  }

  @Test
  void serveAloneHasNoOptions() {
    ConfigOptions options = parsed("serve");

    assertNull(options.configFile);
    assertNull(options.socket);
  }

  @Test
  void theLastOfARepeatedFlagWins() {
    assertEquals("warn", parsed("serve", "--log-level", "debug", "--log-level=warn").logLevel);
  }

  @Test
  void anythingElseIsLeftToPicocli() {
    assertTrue(leftToPicocli("serve", "--help"));
    assertTrue(leftToPicocli("serve", "-h"));
    assertTrue(leftToPicocli("serve", "--sokcet", "/tmp/x"));
    assertTrue(leftToPicocli("serve", "--config"));
    assertTrue(leftToPicocli("serve", "--config", "--root", "/r"));
    assertTrue(leftToPicocli("serve", "extra"));
    assertTrue(leftToPicocli("config", "--root", "/r"));
    assertTrue(leftToPicocli());
  }
}
