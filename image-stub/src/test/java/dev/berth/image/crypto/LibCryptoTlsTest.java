package dev.berth.image.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installed first, libcrypto's AES-GCM is what the JDK's TLS takes, and a download over TLS with
 * it arrives whole: the JDK's HTTP client against the JDK's HTTPS server, as a registry pull reads.
 */
class LibCryptoTlsTest {

  private static final char[] PASSWORD = "berth-test".toCharArray();

  @TempDir
  Path dir;

  @Test
  void theJdksTlsDecryptsWithLibcryptoAndTheBodyArrivesWhole() throws Exception {
    assertTrue(LibCryptoProvider.installFirst(), "libcrypto's AES-GCM installed");
    assertEquals(LibCryptoProvider.NAME, Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName());

    SSLContext server = tls(serverKeys(), true);
    SSLContext client = tls(serverKeys(), false);
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

  /** A key pair and self-signed certificate for 127.0.0.1, made by the JDK's keytool. */
  private KeyStore serverKeys() throws Exception {
    Path store = dir.resolve("server.p12");
    if (!store.toFile().exists()) {
      Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
          "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
          "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
          .redirectErrorStream(true).start();
      String output = new String(keytool.getInputStream().readAllBytes());
      assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool: " + output);
    }
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = java.nio.file.Files.newInputStream(store)) {
      keys.load(in, PASSWORD);
    }
    return keys;
  }

  private static SSLContext tls(KeyStore keys, boolean serving) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    if (serving) {
      KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      managers.init(keys, PASSWORD);
      context.init(managers.getKeyManagers(), null, null);
    } else {
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(keys);
      context.init(null, trust.getTrustManagers(), null);
    }
    return context;
  }
}
