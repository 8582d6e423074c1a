package dev.berth.image.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.berth.image.NodeLibraries;
import dev.berth.image.registry.SelfSignedCertificate;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installed first (where the node has libcrypto 3), libcrypto's AES-GCM is what the JDK's TLS
 * takes, and a download over TLS with it arrives whole: the JDK's HTTP client against the JDK's
 * HTTPS server, as a registry pull reads.
 */
class LibCryptoTlsTest {

  @TempDir
  Path dir;

  @Test
  void theJdksTlsDecryptsWithLibcryptoWhereTheNodeHasItAndTheBodyArrivesWhole() throws Exception {
    boolean installed = LibCryptoProvider.installFirst();
    assertEquals(NodeLibraries.hasLibcrypto3(), installed, "libcrypto's AES-GCM installed");
    assertEquals(installed ? LibCryptoProvider.NAME : "SunJCE",
        Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName());

    SelfSignedCertificate certificate = SelfSignedCertificate.create(dir, "127.0.0.1");
    SSLContext server = serving(certificate);
    SSLContext client = certificate.trustingClient();
    byte[] body = new byte[3 * 1024 * 1024 + 17];
    new SplittableRandom(7).nextBytes(body);
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(server));
    https.createContext("/blob", exchange -> {
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    https.start();
    try (HttpClient http = HttpClient.newBuilder().sslContext(client).version(HttpClient.Version.HTTP_1_1).build()) {
      URI uri = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/blob");
      HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
      byte[] got;
      try (InputStream in = response.body()) {
        got = in.readAllBytes();
      }
      assertEquals(200, response.statusCode());
      assertTrue(response.sslSession().orElseThrow().getCipherSuite().contains("_GCM_"),
          response.sslSession().orElseThrow().getCipherSuite());
      assertArrayEquals(body, got);
    } finally {
      https.stop(0);
    }
  }

  private static SSLContext serving(SelfSignedCertificate certificate) throws Exception {
    KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    managers.init(certificate.keys(), SelfSignedCertificate.PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(managers.getKeyManagers(), null, null);
    return context;
  }
}
