package dev.berth.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  @Test
  void withoutAFileTheDefaultsWorkOnABareNode() {
    BerthConfig config = ConfigLoader.load(null);
    assertEquals(Path.of("/run/berth/berth.sock"), config.socket());
    assertEquals(Path.of("/var/lib/berth"), config.root());
    assertEquals(Path.of("/run/berth"), config.state());
    assertEquals(LogLevel.INFO, config.logLevel());
    assertEquals(CgroupDriver.CGROUPFS, config.cgroupDriver());
    assertEquals(List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni")), config.cni().binDirs());
  }

  @Test
  void fileKeysOverrideDefaultsAndOthersStay() throws IOException {
    BerthConfig config = load("""
        root = "/srv/berth"
        log_level = "debug"
        [cni]
        bin_dirs = ["/usr/local/cni"]
        """);
    assertEquals(Path.of("/srv/berth"), config.root());
    assertEquals(LogLevel.DEBUG, config.logLevel());
    assertEquals(List.of(Path.of("/usr/local/cni")), config.cni().binDirs());
    assertEquals(Path.of("/etc/cni/net.d"), config.cni().confDir());
    assertEquals(Path.of("/run/berth/berth.sock"), config.socket());
  }

  @Test
  void anEmptyFileMeansDefaults() throws IOException {
    assertEquals(BerthConfig.defaults(), load(""));
  }

  @Test
  void unknownKeyIsNamedWithItsTable() {
    assertMessage("unknown key 'cni.conf_directory'", "[cni]\nconf_directory = \"/x\"\n");
    assertMessage("unknown key 'sokcet'", "sokcet = \"/x\"\n");
  }

  @Test
  void wrongTypeIsNamed() {
    assertMessage("key 'shutdown_timeout_seconds' has the wrong type", "shutdown_timeout_seconds = \"soon\"\n");
  }

  @Test
  void malformedTomlIsReported() {
    assertMessage("is not valid TOML", "root = \n");
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("nope.toml");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
    assertEquals("config file " + missing + " does not exist", e.getMessage());
  }

  @Test
  void infraContainerModeIsReadAndAnUnknownOneNamed() throws IOException {
    assertEquals(BerthConfig.InfraContainer.WHEN_NEEDED, BerthConfig.defaults().runtime().infraContainer());
    assertEquals(BerthConfig.InfraContainer.ALWAYS,
        load("[runtime]\ninfra_container = \"always\"\n").runtime().infraContainer());
    assertMessage("key 'runtime.infra_container' must be \"always\" or \"when-needed\", got 'never'",
        "[runtime]\ninfra_container = \"never\"\n");
  }

  @Test
  void layerSizeCapIsOffByDefaultReadAndNeverNegative() throws IOException {
    assertEquals(0, BerthConfig.defaults().images().maxLayerUnpackedBytes());
    assertEquals(1L << 33, load("[images]\nmax_layer_unpacked_bytes = 8589934592\n").images().maxLayerUnpackedBytes());
    assertMessage("key 'images.max_layer_unpacked_bytes' must not be negative",
        "[images]\nmax_layer_unpacked_bytes = -1\n");
  }

  @Test
  void relativePathsAreRefused() {
    assertMessage("key 'root' must be an absolute path, got 'var/lib'", "root = \"var/lib\"\n");
  }

  @Test
  void badValuesAreNamed() {
    assertMessage("key 'log_level': unknown log level 'loud'", "log_level = \"loud\"\n");
    assertMessage("cgroup driver 'systemd' is not supported yet", "cgroup_driver = \"systemd\"\n");
    assertMessage("key 'shutdown_timeout_seconds' must not be negative", "shutdown_timeout_seconds = -1\n");
  }

  @Test
  void printedConfigLoadsBackToTheSameConfig() throws IOException {
    BerthConfig original = load("""
        socket = "/tmp/b.sock"
        log_level = "warn"
        shutdown_timeout_seconds = 3
        [cni]
        conf_dir = "/tmp/net.d"
        """);
    BerthConfig reloaded = load(ConfigView.toToml(original));
    assertEquals(original, reloaded);
  }

  private BerthConfig load(String toml) throws IOException {
    Path file = Files.writeString(dir.resolve("berth-" + System.nanoTime() + ".toml"), toml);
    return ConfigLoader.load(file);
  }

  private void assertMessage(String expectedPart, String toml) {
    ConfigException e = assertThrows(ConfigException.class, () -> load(toml));
    assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
  }
}
