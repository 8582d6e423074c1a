package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cri.v1.CgroupDriver;
import dev.berth.cri.v1.NetworkConfig;
import dev.berth.cri.v1.RuntimeCondition;
import dev.berth.cri.v1.RuntimeConfig;
import dev.berth.cri.v1.RuntimeConfigRequest;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.StatusResponse;
import dev.berth.cri.v1.UpdateRuntimeConfigRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.runtime.testing.DaemonProcess;
import dev.berth.runtime.testing.ShortTempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The calls that work from the foundation on, through the real socket of a real daemon. */
@Tag("integration")
@Timeout(120)
class DaemonCriTest {

  @TempDir(factory = ShortTempDirs.class)
  static Path dir;

  static DaemonProcess daemon;

  @BeforeAll
  static void startDaemon() throws Exception {
    // An empty CNI config directory: the pod network is honestly not ready.
    Path cniConf = Files.createDirectories(dir.resolve("cni-empty"));
    Path config = dir.resolve("berth.toml");
    Files.writeString(config, "[cni]\nconf_dir = \"" + cniConf + "\"\n");
    daemon = DaemonProcess.start(dir.resolve("daemon"), "--config", config.toString());
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    daemon.close();
  }

  @Test
  void versionNamesBerthAndCriV1() {
    VersionResponse version = daemon.client().runtime(Duration.ofSeconds(10))
        .version(VersionRequest.newBuilder().setVersion("v1").build());
    assertEquals("berth", version.getRuntimeName());
    assertEquals("v1", version.getRuntimeApiVersion());
    assertEquals("0.1.0", version.getVersion());
    assertTrue(version.getRuntimeVersion().matches("\\d+\\.\\d+\\.\\d+.*"), version.getRuntimeVersion());
  }

  @Test
  void statusIsRuntimeReadyButNetworkNotReadyWithoutCniConfig() {
    StatusResponse status = daemon.client().runtime(Duration.ofSeconds(10)).status(StatusRequest.getDefaultInstance());
    RuntimeCondition runtime = condition(status, "RuntimeReady");
    RuntimeCondition network = condition(status, "NetworkReady");
    assertTrue(runtime.getStatus());
    assertFalse(network.getStatus());
    assertEquals("NetworkPluginNotReady", network.getReason());
    assertTrue(network.getMessage().contains("cni-empty"), network.getMessage());
    assertTrue(status.getInfoMap().isEmpty(), "info only when verbose");
  }

  @Test
  void verboseStatusCarriesTheEffectiveConfigAsJson() throws Exception {
    StatusResponse status = daemon.client().runtime(Duration.ofSeconds(10))
        .status(StatusRequest.newBuilder().setVerbose(true).build());
    JsonNode config = new ObjectMapper().readTree(status.getInfoOrThrow("config"));
    assertEquals(daemon.root().toString(), config.get("root").asText());
    assertEquals(daemon.socket().toString(), config.get("socket").asText());
    assertEquals("cgroupfs", config.get("cgroup_driver").asText());
    assertEquals(dir.resolve("cni-empty").toString(), config.get("cni").get("conf_dir").asText());
  }

  @Test
  void runtimeConfigReportsTheCgroupfsDriver() {
    assertEquals(CgroupDriver.CGROUPFS, daemon.client().runtime(Duration.ofSeconds(10))
        .runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());
  }

  @Test
  void updateRuntimeConfigKeepsThePodCidr() {
    daemon.client().runtime(Duration.ofSeconds(10)).updateRuntimeConfig(podCidr("10.88.0.0/16"));
    StatusResponse status = daemon.client().runtime(Duration.ofSeconds(10))
        .status(StatusRequest.newBuilder().setVerbose(true).build());
    assertEquals("10.88.0.0/16", status.getInfoOrThrow("podCIDR"));
  }

  @Test
  void messagesUpToSixteenMebibytesAreAccepted() {
    // grpc-java's default limit is 4 MiB; the kubelet allows 16 MiB, so must we.
    String big = "x".repeat(12 * 1024 * 1024);
    daemon.client().runtime(Duration.ofSeconds(30)).updateRuntimeConfig(podCidr(big));
    daemon.client().runtime(Duration.ofSeconds(10)).updateRuntimeConfig(podCidr("10.88.0.0/16"));
  }

  @Test
  void socketIsOnlyForOwnerAndGroup() throws Exception {
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket())));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.root())));
  }

  private static UpdateRuntimeConfigRequest podCidr(String cidr) {
    return UpdateRuntimeConfigRequest.newBuilder()
        .setRuntimeConfig(RuntimeConfig.newBuilder().setNetworkConfig(NetworkConfig.newBuilder().setPodCidr(cidr)))
        .build();
  }

  private static RuntimeCondition condition(StatusResponse status, String type) {
    return status.getStatus().getConditionsList().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no condition " + type + " in " + status));
  }
}
