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
 * A real docker-registry (Debian's distribution 2.8) on a free loopback port, with its own
 * config and storage in a temp dir; stopped by its own pid. Images are pushed with skopeo.
 */
public final class LocalRegistry implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path storage;
  private final String credentials;

  private LocalRegistry(Process process, int port, Path storage, String credentials) {
    this.process = process;
    this.port = port;
    this.storage = storage;
    this.credentials = credentials;
  }

  /** Starts a registry; with a user and password it requires HTTP basic auth (bcrypt htpasswd). */
  public static LocalRegistry start(Path dir, String user, String password) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path storage = Files.createDirectories(dir.resolve("storage"));
    StringBuilder config = new StringBuilder("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
        + storage + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port + "\n");
    if (user != null) {
      Path htpasswd = dir.resolve("htpasswd");
      run(List.of("htpasswd", "-Bbc", htpasswd.toString(), user, password));
      config.append("auth:\n  htpasswd:\n    realm: berth-test\n    path: ").append(htpasswd).append('\n');
    }
    Path configFile = dir.resolve("config.yml");
    Files.writeString(configFile, config);
    Process p = new ProcessBuilder("docker-registry", "serve", configFile.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    LocalRegistry registry = new LocalRegistry(p, port, storage, user == null ? null : user + ":" + password);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
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
    return "127.0.0.1:" + port;
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
