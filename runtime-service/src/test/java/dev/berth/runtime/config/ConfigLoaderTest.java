package dev.berth.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
  void spareInfrasDefaultToTwoAndAreBounded() throws IOException {
    assertEquals(2, ConfigLoader.load(null).runtime().spareInfras());
    assertEquals(0, load("[runtime]\nspare_infras = 0\n").runtime().spareInfras());
    assertMessage("key 'runtime.spare_infras' must be between 0 and 16, got -1", "[runtime]\nspare_infras = -1\n");
    assertMessage("key 'runtime.spare_infras' must be between 0 and 16, got 17", "[runtime]\nspare_infras = 17\n");
  }

  @Test
  void criuIsABareNameOnThePathOrAnAbsolutePath() throws IOException {
    assertEquals(Path.of("criu"), ConfigLoader.load(null).runtime().criu());
    assertEquals(Path.of("/opt/criu/criu"), load("[runtime]\ncriu = \"/opt/criu/criu\"\n").runtime().criu());
    assertMessage("runtime.criu", "[runtime]\ncriu = \"bin/criu\"\n");
  }

  @Test
  void pullProgressTimeoutDefaultsToFiveMinutesAndMustBePositive() throws IOException {
    assertEquals(300, ConfigLoader.load(null).registry().pullProgressTimeoutSeconds());
    assertEquals(7, load("[registry]\npull_progress_timeout_seconds = 7\n").registry().pullProgressTimeoutSeconds());
    assertMessage("key 'registry.pull_progress_timeout_seconds' must be positive, got 0",
        "[registry]\npull_progress_timeout_seconds = 0\n");
  }

  @Test
  void runtimeHandlersComeFromTheirTablesAndReplaceTheBuiltInOnes() throws IOException {
    assertEquals(Map.of("runc", Path.of("/usr/sbin/runc"), "crun", Path.of("/usr/bin/crun")),
        BerthConfig.defaults().runtime().handlers());
    assertEquals(Map.of("kata", Path.of("/opt/kata/bin/kata-runtime")), load("""
        [runtime.handlers.kata]
        runtime_path = "/opt/kata/bin/kata-runtime"
        """).runtime().handlers());
    assertMessage("runtime handler name 'Fast_Runc' in [runtime.handlers] must be a DNS label",
        "[runtime.handlers.Fast_Runc]\nruntime_path = \"/usr/sbin/runc\"\n");
    assertMessage("key 'runtime.handlers.kata.runtime_path' is missing", "[runtime.handlers.kata]\n");
    assertMessage("key 'runtime.handlers.kata.runtime_path' must be an absolute path",
        "[runtime.handlers.kata]\nruntime_path = \"kata-runtime\"\n");
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
    assertMessage("key 'streaming_handshake_timeout_seconds' must be at least 1",
        "streaming_handshake_timeout_seconds = 0\n");
    assertMessage("key 'streaming_idle_timeout_seconds' must be at least 1", "streaming_idle_timeout_seconds = -5\n");
  }

  @Test
  void streamingTimeoutsDefaultToTheKubeletsAndAreRead() throws IOException {
    assertEquals(30, BerthConfig.defaults().streamingHandshakeTimeoutSeconds());
    assertEquals(4 * 60 * 60, BerthConfig.defaults().streamingIdleTimeoutSeconds());
    BerthConfig config = load("streaming_handshake_timeout_seconds = 5\nstreaming_idle_timeout_seconds = 600\n");
    assertEquals(5, config.streamingHandshakeTimeoutSeconds());
    assertEquals(600, config.streamingIdleTimeoutSeconds());
  }

  @Test
  void printedConfigLoadsBackToTheSameConfig() throws IOException {
    BerthConfig original = load("""
        socket = "/tmp/b.sock"
        log_level = "warn"
        shutdown_timeout_seconds = 3
        [cni]
        conf_dir = "/tmp/net.d"
        [runtime.handlers.fast]
        runtime_path = "/usr/bin/crun"
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
