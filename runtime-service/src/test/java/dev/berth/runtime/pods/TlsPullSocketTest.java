package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ImageServiceGrpc.ImageServiceBlockingStub;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.PullImageRequest;
import dev.berth.cri.v1.RemoveImageRequest;
import dev.berth.image.NodeLibraries;
import dev.berth.image.TestImages;
import dev.berth.image.registry.LocalRegistry;
import dev.berth.image.registry.SelfSignedCertificate;
import dev.berth.runtime.testing.DaemonProcess;
import dev.berth.runtime.testing.ShortTempDirs;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull over TLS through the daemon's socket, from a real registry (docker-registry with TLS,
 * so HTTP/2) on an address of the node's other than loopback, where the daemon uses https: the
 * image arrives verified, and the daemon's TLS decrypts with libcrypto's AES-GCM where the node
 * has libcrypto 3.
 */
@Tag("integration")
@Timeout(300)
class TlsPullSocketTest {

  @TempDir(factory = ShortTempDirs.class)
  static Path dir;

  @Test
  void anImagePulledOverTlsArrivesAndTheDaemonSaysWhatDecryptsIt() throws Exception {
    String address = nodeAddress();
    SelfSignedCertificate certificate = SelfSignedCertificate.create(dir.resolve("tls"), address);
    Path work = Files.createDirectories(dir.resolve("work"));
    Path archive = work.resolve("pushed.tar");
    TestImages.busyboxArchive(work, "busybox:tls", "over-tls", archive);
    Path cniConf = Files.createDirectories(dir.resolve("cni-empty"));
    Path config = dir.resolve("berth.toml");
    Files.writeString(config, "[cni]\nconf_dir = \"" + cniConf + "\"\n");
    // The registry's certificate is trusted as a node's administrator would: in the JVM's trust store.
    List<String> trust = List.of("-Djavax.net.ssl.trustStore=" + certificate.trustStore(),
        "-Djavax.net.ssl.trustStoreType=PKCS12", "-Djavax.net.ssl.trustStorePassword=" + SelfSignedCertificate.PASSWORD);
    try (LocalRegistry registry = LocalRegistry.startTls(dir.resolve("registry"), address, certificate);
        DaemonProcess daemon = DaemonProcess.startWithJvmOptions(dir.resolve("daemon"), trust, "--config", config.toString())) {
      registry.push(archive, "berth/tls:v1");
      String reference = registry.host() + "/berth/tls:v1";
      ImageServiceBlockingStub images = daemon.client().images(Duration.ofMinutes(2));
      ImageSpec spec = ImageSpec.newBuilder().setImage(reference).build();

      for (int pull = 0; pull < 2; pull++) { // the second over a connection of its own, after a removal
        String imageRef = images.pullImage(PullImageRequest.newBuilder().setImage(spec).build()).getImageRef();
        var status = images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build()).getImage();
        assertEquals(imageRef, status.getId());
        assertTrue(status.getRepoDigests(0).startsWith(registry.host() + "/berth/tls@sha256:"), status.toString());
        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec).build());
      }
      String decrypter = NodeLibraries.hasLibcrypto3() ? "libcrypto 3" : "the JDK's own code";
      assertTrue(daemon.output().contains("TLS decrypts AES-GCM with " + decrypter), daemon.output());
    }
  }

  /** An IPv4 address of this node's other than loopback: there the daemon pulls over https. */
  private static String nodeAddress() throws Exception {
    for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : nic.inetAddresses().toList()) {
        if (address instanceof Inet4Address && !address.isLinkLocalAddress()) {
          return address.getHostAddress();
        }
      }
    }
    throw new AssertionError("this test needs an IPv4 address of the node's other than loopback");
  }
}
