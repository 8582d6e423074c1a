package dev.berth.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsAddressConfigTest {

  @TempDir
  Path dir;

  private BerthConfig load(String toml) throws Exception {
    Path file = dir.resolve("berth.toml");
    Files.writeString(file, toml);
    return ConfigLoader.load(file);
  }

  @Test
  void metricsAddressDefaultsToLoopbackPort9767() {
    assertEquals("127.0.0.1:9767", ConfigLoader.load(null).metricsAddress());
  }

  @Test
  void metricsAddressIsReadFromTheFileAndOffDisables() throws Exception {
    assertEquals("0.0.0.0:9100", load("metrics_address = \"0.0.0.0:9100\"\n").metricsAddress());
    assertEquals("off", load("metrics_address = \"off\"\n").metricsAddress());
    assertTrue(ConfigView.toToml(load("metrics_address = \"off\"\n")).contains("metrics_address = 'off'")
        || ConfigView.toToml(load("metrics_address = \"off\"\n")).contains("metrics_address = \"off\""));
  }

  @Test
  void aMetricsAddressWithoutAPortIsRefusedNamingTheKey() {
    ConfigException e = assertThrows(ConfigException.class, () -> load("metrics_address = \"localhost\"\n"));
    assertTrue(e.getMessage().contains("metrics_address"), e.getMessage());
  }

  @Test
  void perCpuUsageIsOffByDefaultAndReadFromTheFile() throws Exception {
    assertEquals(false, ConfigLoader.load(null).metricsPerCpuUsage());
    assertEquals(true, load("metrics_per_cpu_usage = true\n").metricsPerCpuUsage());
    assertTrue(ConfigView.toToml(load("metrics_per_cpu_usage = true\n")).contains("metrics_per_cpu_usage = true"));
  }

  @Test
  void aPerCpuUsageThatIsNotABooleanIsRefusedNamingTheKey() {
    ConfigException e = assertThrows(ConfigException.class, () -> load("metrics_per_cpu_usage = \"yes\"\n"));
    assertTrue(e.getMessage().contains("metrics_per_cpu_usage"), e.getMessage());
  }
}
