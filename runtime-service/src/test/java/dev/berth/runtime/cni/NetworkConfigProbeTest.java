package dev.berth.runtime.cni;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkConfigProbeTest {

  @TempDir
  Path dir;

  Path conf;
  Path bin;
  NetworkConfigProbe probe;

  @BeforeEach
  void setUp() throws IOException {
    conf = Files.createDirectories(dir.resolve("net.d"));
    bin = Files.createDirectories(dir.resolve("bin"));
    probe = new NetworkConfigProbe(conf, List.of(dir.resolve("absent-bin"), bin));
  }

  @Test
  void notReadyWhenTheConfigDirectoryIsMissing() {
    NetworkConfigProbe.Readiness readiness = new NetworkConfigProbe(dir.resolve("nope"), List.of(bin)).probe();
    assertFalse(readiness.ready());
    assertTrue(readiness.message().contains("does not exist"), readiness.message());
  }

  @Test
  void notReadyWhenNoConfigFileIsThere() throws IOException {
    Files.writeString(conf.resolve("README"), "not a config");
    assertFalse(probe.probe().ready());
  }

  @Test
  void readyWhenEveryPluginOfTheFirstConflistExists() throws IOException {
    plugin("bridge");
    plugin("portmap");
    Files.writeString(conf.resolve("10-pods.conflist"),
        "{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}");
    NetworkConfigProbe.Readiness readiness = probe.probe();
    assertTrue(readiness.ready(), readiness.message());
  }

  @Test
  void notReadyNamingAPluginThatIsMissing() throws IOException {
    plugin("bridge");
    Files.writeString(conf.resolve("10-pods.conflist"),
        "{\"name\":\"pods\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}");
    NetworkConfigProbe.Readiness readiness = probe.probe();
    assertFalse(readiness.ready());
    assertTrue(readiness.message().contains("'portmap'"), readiness.message());
  }

  @Test
  void onlyTheLexicallyFirstConfigCounts() throws IOException {
    plugin("bridge");
    Files.writeString(conf.resolve("05-broken.conf"), "{not json");
    Files.writeString(conf.resolve("10-pods.conf"), "{\"name\":\"pods\",\"type\":\"bridge\"}");
    NetworkConfigProbe.Readiness readiness = probe.probe();
    assertFalse(readiness.ready());
    assertTrue(readiness.message().contains("05-broken.conf is not valid JSON"), readiness.message());
  }

  @Test
  void aPluginTypeWithASlashNeverEscapesThePluginDirectories() throws IOException {
    Files.writeString(conf.resolve("10-pods.conf"), "{\"name\":\"pods\",\"type\":\"../../bin/sh\"}");
    assertFalse(probe.probe().ready());
  }

  private void plugin(String name) throws IOException {
    Path file = Files.writeString(bin.resolve(name), "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
