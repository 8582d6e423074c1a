package dev.berth.runtime.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * A CNI config of the test run's own: a bridge with a unique name and a free /24 from
 * {@link TestSubnets}, host-local IPAM with its own data dir, and portmap. Only pods of this run live
 * on it; {@link #close} deletes the bridge.
 */
public final class TestNetwork implements AutoCloseable {

  private final Path confDir;
  private final String bridge;
  private final String subnetPrefix;

  private TestNetwork(Path confDir, String bridge, String subnetPrefix) {
    this.confDir = confDir;
    this.bridge = bridge;
    this.subnetPrefix = subnetPrefix;
  }

  public static TestNetwork create(Path dir) throws IOException, InterruptedException {
    String bridge = "bt" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    String prefix = TestSubnets.freePrefix();
    Path confDir = Files.createDirectories(dir.resolve("net.d"));
    Path ipamData = Files.createDirectories(dir.resolve("ipam"));
    Files.writeString(confDir.resolve("10-berth-test.conflist"), """
        {
          "cniVersion": "1.0.0",
          "name": "berth-test",
          "plugins": [
            {
              "type": "bridge",
              "bridge": "%s",
              "isGateway": true,
              "ipMasq": false,
              "hairpinMode": true,
              "ipam": {
                "type": "host-local",
                "dataDir": "%s",
                "ranges": [[{"subnet": "%s.0/24"}]],
                "routes": [{"dst": "0.0.0.0/0"}]
              }
            },
            {"type": "portmap", "capabilities": {"portMappings": true}}
          ]
        }
        """.formatted(bridge, ipamData, prefix));
    return new TestNetwork(confDir, bridge, prefix);
  }

  public Path confDir() {
    return confDir;
  }

  public String subnetPrefix() {
    return subnetPrefix;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    Process process = new ProcessBuilder("ip", "link", "del", bridge).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
