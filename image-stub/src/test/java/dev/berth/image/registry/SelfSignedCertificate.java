package dev.berth.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A key pair and a self-signed certificate for one IP address, made by the JDK's keytool: as a
 * PKCS12 key store for Java servers, as the PEM files a Go server (docker-registry) reads, and as
 * a trust store holding the certificate alone, for a client JVM ({@code javax.net.ssl.trustStore}).
 */
public record SelfSignedCertificate(Path keyStore, Path certificatePem, Path privateKeyPem, Path trustStore) {

  public static final String PASSWORD = "berth-test";

  public static SelfSignedCertificate create(Path dir, String ipAddress) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path keyStore = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + ipAddress,
        "-ext", "san=ip:" + ipAddress, "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(),
        "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      keytool.destroyForcibly();
      throw new IOException("keytool failed: " + output);
    }
    try {
      KeyStore keys = load(keyStore);
      Certificate certificate = keys.getCertificate("server");
      Path certificatePem = dir.resolve("server.crt");
      Files.writeString(certificatePem, pem("CERTIFICATE", certificate.getEncoded()));
      Path privateKeyPem = dir.resolve("server.key");
      Files.writeString(privateKeyPem, pem("PRIVATE KEY", keys.getKey("server", PASSWORD.toCharArray()).getEncoded()));
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      trusted.setCertificateEntry("server", certificate);
      Path trustStore = dir.resolve("trust.p12");
      try (OutputStream out = Files.newOutputStream(trustStore)) {
        trusted.store(out, PASSWORD.toCharArray());
      }
      return new SelfSignedCertificate(keyStore, certificatePem, privateKeyPem, trustStore);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  /** The key store with the key pair and certificate, under {@link #PASSWORD}. */
  public KeyStore keys() throws IOException {
    try {
      return load(keyStore);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  /** A client's TLS context that trusts this certificate alone. */
  public SSLContext trustingClient() throws IOException {
    try {
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(load(trustStore));
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static KeyStore load(Path file) throws IOException, java.security.GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, PASSWORD.toCharArray());
    }
    return store;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
