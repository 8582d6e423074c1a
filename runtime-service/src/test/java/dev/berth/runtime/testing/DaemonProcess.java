package dev.berth.runtime.testing;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Berth daemon in its own JVM, on a private socket, root and state under one temporary
 * directory, so that test runs never collide. Started from the test's own class path.
 */
public final class DaemonProcess implements AutoCloseable {

  private final Path dir;
  private final Path socket;
  private final Path log;
  private final Process process;
  private CriClient client;

  private DaemonProcess(Path dir, Path socket, Path log, Process process) {
    this.dir = dir;
    this.socket = socket;
    this.log = log;
    this.process = process;
  }

  /** Starts a daemon with its own directories and waits until it answers a CRI call. */
  public static DaemonProcess start(Path dir, String... extraArgs) throws IOException, InterruptedException {
    return startWithJvmOptions(dir, List.of(), extraArgs);
  }

  /** As {@link #start}, its JVM given {@code jvmOptions} too (a trust store, say). */
  public static DaemonProcess startWithJvmOptions(Path dir, List<String> jvmOptions, String... extraArgs)
      throws IOException, InterruptedException {
    DaemonProcess daemon = launch(dir, jvmOptions, extraArgs);
    try {
      daemon.awaitReady(Duration.ofSeconds(30));
    } catch (IllegalStateException | IOException | InterruptedException e) {
      // Nobody else holds this process: a daemon that never answered would outlive the test.
      daemon.process.destroyForcibly();
      daemon.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      throw e;
    }
    return daemon;
  }

  /** Starts a daemon without waiting for it: for daemons that are expected to refuse to start. */
  public static DaemonProcess launch(Path dir, String... extraArgs) throws IOException {
    return launch(dir, List.of(), extraArgs);
  }

  private static DaemonProcess launch(Path dir, List<String> jvmOptions, String... extraArgs) throws IOException {
    Files.createDirectories(dir);
    Path socket = dir.resolve("berth.sock");
    List<String> command = new ArrayList<>(List.of(
        // The collector and young generation of bin/berth: young collections promote what is in
        // flight, which the daemon's full collection after a burst then gives back.
        javaBinary(), "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx128m", "-XX:MaxNewSize=6m"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.berth.runtime.cli.Main", "serve",
        "--socket", socket.toString(),
        "--root", dir.resolve("root").toString(),
        "--state", dir.resolve("state").toString()));
    command.addAll(List.of(extraArgs));
    // Test daemons run side by side with each other and with other suites: no fixed ports.
    if (!command.contains("--streaming-address")) {
      command.addAll(List.of("--streaming-address", "127.0.0.1:0"));
    }
    if (!command.contains("--metrics-address")) {
      // The default address is one per node: parallel test daemons would fight over it.
      command.addAll(List.of("--metrics-address", "off"));
    }
    Path log = dir.resolve("daemon-" + System.nanoTime() + ".log");
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .start();
    return new DaemonProcess(dir, socket, log, process);
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A socket file alone proves nothing: one left by a killed daemon looks the same. */
  private void awaitReady(Duration timeout) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!answers()) {
      if (!process.isAlive()) {
        throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + output());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("daemon socket did not appear within " + timeout + ":\n" + output());
      }
      Thread.sleep(20);
    }
  }

  private boolean answers() {
    if (!Files.exists(socket)) {
      return false;
    }
    try (CriClient probe = CriClient.connect(socket)) {
      probe.runtime(Duration.ofSeconds(2)).version(VersionRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException notYet) {
      return false;
    }
  }

  public Path dir() {
    return dir;
  }

  public Path socket() {
    return socket;
  }

  public Path root() {
    return dir.resolve("root");
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  /**
   * The daemon's full collections so far: the serial collector's second collector's count, from
   * the JVM's counters as {@code jcmd PID PerfCounter.print} shows them.
   */
  public long fullCollections() throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid()), "PerfCounter.print").redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (jcmd.waitFor() != 0) {
      throw new IllegalStateException("jcmd PerfCounter.print of daemon " + pid() + " failed: " + out);
    }
    return out.lines().filter(l -> l.startsWith("sun.gc.collector.1.invocations="))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf('=') + 1).trim()))
        .findFirst().orElseThrow(() -> new IllegalStateException("no full-collection counter in jcmd's output: " + out));
  }

  /** One client per daemon, closed with it. */
  public synchronized CriClient client() {
    if (client == null) {
      client = CriClient.connect(socket);
    }
    return client;
  }

  /** Everything the daemon wrote to stdout and stderr so far. */
  public String output() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** Waits for the process to exit and returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("daemon " + pid() + " still running after " + timeout);
    }
    return process.exitValue();
  }

  /** SIGTERM, as systemd stops it. */
  public void terminate() {
    process.destroy();
  }

  @Override
  public void close() throws InterruptedException {
    if (client != null) {
      client.close();
    }
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
