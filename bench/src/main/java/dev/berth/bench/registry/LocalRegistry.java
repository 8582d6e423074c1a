package dev.berth.bench.registry;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry on a loopback port with its own config and storage, stopped by its
 * pid (the Process we started) on close.
 */
public final class LocalRegistry implements AutoCloseable {

  private static final String EXECUTABLE = "/usr/bin/docker-registry";

  private final Process process;
  private final int port;

  private LocalRegistry(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts on {@code port}, or on a free one when it is 0. */
  public static LocalRegistry start(Path dir, int port) throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of(EXECUTABLE))) {
      throw new IOException(EXECUTABLE + " is missing: apt-get install docker-registry");
    }
    int chosen = port != 0 ? port : freePort();
    Files.createDirectories(dir.resolve("storage"));
    Path config = dir.resolve("registry.yml");
    Files.writeString(config, """
        version: 0.1
        log:
          level: error
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: %s
        http:
          addr: 127.0.0.1:%d
        """.formatted(dir.resolve("storage"), chosen));
    Process process = new ProcessBuilder(EXECUTABLE, "serve", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
    LocalRegistry registry = new LocalRegistry(process, chosen);
    registry.awaitReady();
    return registry;
  }

  public String host() {
    return "127.0.0.1:" + port;
  }

  public URI base() {
    return URI.create("http://" + host());
  }

  private void awaitReady() throws IOException, InterruptedException {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpRequest ping = HttpRequest.newBuilder(base().resolve("/v2/")).timeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (true) {
        if (!process.isAlive()) {
          throw new IOException("docker-registry exited with " + process.exitValue() + "; see its registry.log");
        }
        try {
          if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return;
          }
        } catch (IOException notYet) {
          // still starting
        }
        if (System.nanoTime() > deadline) {
          close();
          throw new IOException("docker-registry did not answer on " + host());
        }
        Thread.sleep(100);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
