package dev.berth.image.registry;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real docker-registry (Debian's distribution 2.8) on a free port (loopback, or an address of
 * the node's with TLS), with its own config and storage in a temp dir; stopped by its own pid.
 * Images are pushed with skopeo.
 */
public final class LocalRegistry implements AutoCloseable {

  private final Process process;
  private final String host;
  private final Path storage;
  private final String credentials;

  private LocalRegistry(Process process, String host, Path storage, String credentials) {
    this.process = process;
    this.host = host;
    this.storage = storage;
    this.credentials = credentials;
  }

  /** Starts a registry; with a user and password it requires HTTP basic auth (bcrypt htpasswd). */
  public static LocalRegistry start(Path dir, String user, String password) throws IOException, InterruptedException {
    StringBuilder auth = new StringBuilder();
    if (user != null) {
      Path htpasswd = dir.resolve("htpasswd");
      Files.createDirectories(dir);
      run(List.of("htpasswd", "-Bbc", htpasswd.toString(), user, password));
      auth.append("auth:\n  htpasswd:\n    realm: berth-test\n    path: ").append(htpasswd).append('\n');
    }
    return launch(dir, "127.0.0.1", "", auth.toString(), user == null ? null : user + ":" + password,
        HttpClient.newHttpClient());
  }

  /**
   * Starts a registry serving TLS (and so HTTP/2) with {@code certificate} on {@code address},
   * which must not be a loopback one for a client to use https there by default.
   */
  public static LocalRegistry startTls(Path dir, String address, SelfSignedCertificate certificate)
      throws IOException, InterruptedException {
    String tls = "  tls:\n    certificate: " + certificate.certificatePem() + "\n    key: " + certificate.privateKeyPem() + "\n";
    return launch(dir, address, tls, "", null, HttpClient.newBuilder().sslContext(certificate.trustingClient()).build());
  }

  private static LocalRegistry launch(Path dir, String address, String tlsLines, String authLines, String credentials,
      HttpClient http) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(address))) {
      port = s.getLocalPort();
    }
    Path storage = Files.createDirectories(dir.resolve("storage"));
    String config = "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " + storage
        + "\n  delete:\n    enabled: true\nhttp:\n  addr: " + address + ":" + port + "\n" + tlsLines + authLines;
    Path configFile = dir.resolve("config.yml");
    Files.writeString(configFile, config);
    Process p = new ProcessBuilder("docker-registry", "serve", configFile.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    LocalRegistry registry = new LocalRegistry(p, address + ":" + port, storage, credentials);
    URI ping = URI.create((tlsLines.isEmpty() ? "http://" : "https://") + registry.host() + "/v2/");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        int status = http.send(HttpRequest.newBuilder(ping).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return registry;
        }
      } catch (IOException e) {
        // not up yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        registry.close();
        throw new IOException("docker-registry did not start; see " + dir.resolve("registry.log"));
      }
      Thread.sleep(50);
    }
  }

  public String host() {
    return host;
  }

  public Path storage() {
    return storage;
  }

  /** Pushes an OCI archive to host()/repository:tag with skopeo. */
  public void push(Path ociArchive, String repositoryAndTag) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"));
    if (credentials != null) {
      cmd.addAll(List.of("--dest-creds", credentials));
    }
    cmd.addAll(List.of("oci-archive:" + ociArchive, "docker://" + host() + "/" + repositoryAndTag));
    run(cmd);
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM to this pid only
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
