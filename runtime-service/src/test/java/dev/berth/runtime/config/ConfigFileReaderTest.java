package dev.berth.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.reflect.RecordComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reader without Jackson's mapper reads what Jackson reads, and leaves to Jackson what it does not. */
class ConfigFileReaderTest {

  /** Every key of {@link ConfigFile} set, the tables' maps with two entries each. */
  private static final String EVERY_KEY = """
      socket = "/run/b/b.sock"
      root = "/var/lib/b"
      state = "/run/b"
      log_level = "debug"
      cgroup_driver = "cgroupfs"
      shutdown_timeout_seconds = 12
      streaming_address = "127.0.0.1:0"
      streaming_token_ttl_seconds = 61
      streaming_handshake_timeout_seconds = 31
      streaming_idle_timeout_seconds = 14401
      metrics_address = "off"
      metrics_per_cpu_usage = true

      [cni]
      conf_dir = "/etc/cni/net.d"
      bin_dirs = ["/opt/cni/bin", '/usr/lib/cni']

      [runtime]
      oci_runtime = "/usr/sbin/runc"
      conmon = "/usr/bin/conmon"
      catatonit = "/usr/bin/catatonit"
      default_cgroup_parent = "/b"
      pids_limit = 4096
      infra_container = "always"
      criu = "criu"
      spare_infras = 3

      [runtime.handlers.runc]
      runtime_path = "/usr/sbin/runc"

      [runtime.handlers.crun]
      runtime_path = "/usr/bin/crun"

      [images]
      max_layer_unpacked_bytes = 8589934592

      [registry]
      plain_http_hosts = ["127.0.0.1:5000"]
      pull_progress_timeout_seconds = 300

      [registry.mirrors]
      "docker.io" = ["https://mirror.example", "http://127.0.0.1:5000"]
      "registry.k8s.io" = []
      """;

  @Test
  void aFileWithEveryKeyIsReadAsJacksonReadsIt() throws Exception {
    ConfigFile jackson = jackson(EVERY_KEY);
    assertNoNullComponent(jackson, "ConfigFile");

    assertEquals(jackson, ConfigFileReader.read(bytes(EVERY_KEY)).orElseThrow());
  }

  @Test
  void theDocumentedConfigIsReadAsJacksonReadsIt() throws IOException {
    Path deployed = Path.of("../deploy/config.toml");
    byte[] bytes = Files.readAllBytes(deployed);

    assertEquals(ConfigLoader.readWithJackson(bytes, deployed), ConfigFileReader.read(bytes).orElseThrow());
  }

  @Test
  void anEmptyFileSetsNothing() {
    assertEquals(jackson(""), ConfigFileReader.read(bytes("")).orElseThrow());
    assertEquals(jackson("# nothing\n\n"), ConfigFileReader.read(bytes("# nothing\n\n")).orElseThrow());
  }

  @Test
  void aFewKeysAndAnEmptyTableAreRead() {
    String toml = "root = \"/srv/a\"\n[cni]\n[runtime]\npids_limit = 0\n";
    assertEquals(jackson(toml), ConfigFileReader.read(bytes(toml)).orElseThrow());
  }

  @Test
  void aTomlDateIsReadAsTheStringJacksonReadsToo() {
    String toml = "root = 1979-05-27T07:32:00Z\n";
    assertEquals(jackson(toml), ConfigFileReader.read(bytes(toml)).orElseThrow());
  }

  /** Each of these is Jackson's to read: it accepts some (coercions) and names what is wrong in the others. */
  @ParameterizedTest
  @ValueSource(strings = {
      "sokcet = \"/run/x.sock\"\n",
      "[runtime]\nconmon = \"/usr/bin/conmon\"\nconmoon = \"x\"\n",
      "[runtime.handlers.runc]\nruntime_path = \"/usr/sbin/runc\"\nroot = \"/x\"\n",
      "shutdown_timeout_seconds = \"10\"\n",
      "shutdown_timeout_seconds = 1.5\n",
      "shutdown_timeout_seconds = 99999999999\n",
      "socket = 5\n",
      "metrics_per_cpu_usage = \"yes\"\n",
      "[cni]\nbin_dirs = \"/opt/cni/bin\"\n",
      "[cni]\nbin_dirs = [1, 2]\n",
      "[registry.mirrors]\n\"docker.io\" = \"http://x\"\n",
      "cni = \"x\"\n",
      "root = \n",
      "root = \"/a\"\nroot = \"/b\"\n",
  })
  void whatItDoesNotReadExactlyIsLeftToJackson(String toml) {
    assertTrue(ConfigFileReader.read(bytes(toml)).isEmpty(), toml);
  }

  private static ConfigFile jackson(String toml) {
    return ConfigLoader.readWithJackson(bytes(toml), Path.of("test.toml"));
  }

  private static byte[] bytes(String toml) {
    return toml.getBytes(StandardCharsets.UTF_8);
  }

  /** The fixture must set every key, or a key added to ConfigFile would go untested here. */
  private static void assertNoNullComponent(Record record, String path) throws Exception {
    for (RecordComponent component : record.getClass().getRecordComponents()) {
      Object value = component.getAccessor().invoke(record);
      assertNotNull(value, path + "." + component.getName() + " is not set by EVERY_KEY");
      if (value instanceof Record nested) {
        assertNoNullComponent(nested, path + "." + component.getName());
      }
    }
  }
}
