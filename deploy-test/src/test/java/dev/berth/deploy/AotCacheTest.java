package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The AOT cache for real: a release laid out from the checkout's built jars by bin/release, its
 * cache trained by bin/lib/aot-train with a one-round workload (real pods through runc, conmon
 * and CNI), then daemons started by the release's bin/berth. Whether a daemon runs with the cache
 * is asked of the kernel: the JVM maps the cache file into the process when it uses it. A cache
 * that does not fit (other flags, a damaged file) must leave a daemon that starts and answers.
 * Needs the jars built ({@code mvn -P integration verify} packages runtime-service first).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AotCacheTest {

  private static final Duration FIRST_ANSWER_WAIT = Duration.ofSeconds(120);

  private Path dir;
  private Path release;
  private Path cache;
  private String trainingOutput;

  @BeforeAll
  void layOutAReleaseAndTrainItsCache() throws Exception {
    Path built = Scripts.CHECKOUT.resolve("runtime-service/target/berth-runtime-service.jar");
    assertTrue(Files.exists(built), built + " is not built: run mvn package (verify does) before this test");
    dir = Files.createTempDirectory(Path.of("/tmp"), "baot");
    release = dir.resolve("release");
    Scripts.Result laidOut = Scripts.run(Scripts.CHECKOUT.resolve("bin/release"), "--out", release.toString(), "--no-aot");
    assertEquals(0, laidOut.exitCode(), laidOut.output());

    Scripts.Result training = Scripts.run(Map.of("BERTH_AOT_SUBNET", freeSubnetPrefix()),
        release.resolve("bin/lib/aot-train"), "--rounds", "1");

    trainingOutput = training.output();
    assertEquals(0, training.exitCode(), trainingOutput);
    cache = release.resolve("lib/berth.aot");
    assertTrue(Files.size(cache) > 1 << 20, "a cache of the daemon's classes: " + trainingOutput);
    assertTrue(Files.exists(release.resolve("lib/berth.aot.key")));
  }

  @AfterAll
  void removeTheRelease() throws Exception {
    if (dir != null) {
      new ProcessBuilder("rm", "-rf", dir.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void trainingLeavesNothingBehindAndTheStatusSaysTheCacheFits() throws Exception {
    assertTrue(trainingOutput.contains("wrote " + cache), trainingOutput);
    try (var leftovers = Files.list(Path.of("/tmp"))) {
      String workDir = trainingOutput.replaceAll("(?s).*?(/tmp/berth-aot\\.[A-Za-z0-9]+).*", "$1");
      assertTrue(leftovers.noneMatch(p -> p.toString().equals(workDir)), "training removed " + workDir);
    }
    Scripts.Result status = Scripts.run(release.resolve("bin/berth"), "aot-status");
    assertEquals(0, status.exitCode(), status.output());
    assertTrue(status.output().contains("fits"), status.output());
  }

  @Test
  void aDaemonStartedByTheLauncherRunsWithTheCache() throws Exception {
    Daemon daemon = Daemon.start(release, Map.of());
    try {
      assertTrue(daemon.answersVersion());
      assertTrue(daemon.maps(cache), "the JVM mapped " + cache + ":\n" + daemon.log());
      assertFalse(daemon.log().contains("not using the AOT cache"), daemon.log());
    } finally {
      daemon.stopCleanly();
    }
  }

  /**
   * The cache holds what the training loaded, and a daemon with AOT class linking loads all of it
   * at start: classes a node never needs cost every daemon memory and start time. Logging set up
   * in code needs no XML parser, and Netty told not to registers no JFR events.
   */
  @Test
  void aDaemonWithTheCacheLoadsNoXmlParserNorFlightRecorderEvents() throws Exception {
    Daemon daemon = Daemon.start(release, Map.of());
    try {
      assertTrue(daemon.answersVersion());
      assertTrue(daemon.maps(cache), daemon.log());
      Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(daemon.process().pid()), "VM.class_hierarchy").redirectErrorStream(true).start();
      String classes = new String(jcmd.getInputStream().readAllBytes());
      assertEquals(0, jcmd.waitFor(), classes);
      // The host shows the daemon's own classes, or the absences below would prove nothing.
      assertTrue(classes.contains("dev.berth.runtime.logging.DaemonLogConfigurator"), classes);
      assertTrue(classes.contains("io.netty.buffer.PooledByteBufAllocator"), classes);
      for (String absent : List.of("com.sun.org.apache.xerces.", "ch.qos.logback.core.joran.event.",
          "ch.qos.logback.core.pattern.parser.", "jdk.jfr.events.", "io.netty.buffer.AllocateChunkEvent")) {
        assertFalse(classes.contains(absent), "the daemon loaded " + absent + "*");
      }
    } finally {
      daemon.stopCleanly();
    }
  }

  @Test
  void aDaemonWithOtherJvmFlagsStartsWithoutTheCacheAndSaysSo() throws Exception {
    Daemon daemon = Daemon.start(release, Map.of("BERTH_JAVA_OPTS", "-XX:+UseSerialGC -Xmx256m"));
    try {
      assertTrue(daemon.answersVersion());
      assertFalse(daemon.maps(cache), daemon.log());
      assertTrue(daemon.log().contains("not using the AOT cache " + cache), daemon.log());
    } finally {
      daemon.stopCleanly();
    }
  }

  @Test
  void aDamagedCacheThatTheJvmRefusesStillLeavesADaemonThatAnswers() throws Exception {
    Path damaged = dir.resolve("damaged");
    assertEquals(0, new ProcessBuilder("cp", "-a", release.toString(), damaged.toString()).inheritIO().start().waitFor());
    Path damagedCache = damaged.resolve("lib/berth.aot");
    // The key still fits, so only the JVM's own checks stand between the daemon and this file.
    try (RandomAccessFile file = new RandomAccessFile(damagedCache.toFile(), "rw")) {
      file.seek(0);
      file.write(new byte[4096]);
    }

    Daemon daemon = Daemon.start(damaged, Map.of());
    try {
      assertTrue(daemon.answersVersion());
      assertFalse(daemon.maps(damagedCache), daemon.log());
      assertTrue(daemon.log().contains("[aot]"), "the JVM says why on stderr:\n" + daemon.log());
    } finally {
      daemon.stopCleanly();
    }
  }

  @Test
  void theInstalledCopyOfTheReleaseKeepsACacheThatFits() throws Exception {
    Path root = dir.resolve("root");
    Scripts.Result installed = Scripts.run(release.resolve("deploy/install"), "--root", root.toString());
    assertEquals(0, installed.exitCode(), installed.output());
    Path lib = root.resolve("usr/local/lib/berth");

    Daemon daemon = Daemon.start(lib, Map.of());
    try {
      assertTrue(daemon.answersVersion());
      assertTrue(daemon.maps(lib.resolve("lib/berth.aot")), daemon.log());
    } finally {
      daemon.stopCleanly();
    }
  }

  /** A /24 prefix in this checkout's 10.N.0.0/16 (BERTH_TEST_NET_OCTET) that no route uses. */
  private static String freeSubnetPrefix() throws IOException, InterruptedException {
    String octet = System.getenv().getOrDefault("BERTH_TEST_NET_OCTET", "250");
    Process ip = new ProcessBuilder("ip", "-4", "route", "show").redirectErrorStream(true).start();
    String routes = new String(ip.getInputStream().readAllBytes());
    ip.waitFor();
    for (int attempt = 0; attempt < 100; attempt++) {
      String prefix = "10." + octet + "." + ThreadLocalRandom.current().nextInt(1, 255);
      if (!routes.contains(prefix + ".")) {
        return prefix;
      }
    }
    throw new IllegalStateException("no free /24 in 10." + octet + ".0.0/16");
  }

  /** A daemon of one installation on a private socket, root, state and cgroup parent, no CNI. */
  private record Daemon(Process process, Path work, String cgroupParent) {

    static Daemon start(Path home, Map<String, String> environment) throws IOException {
      // Short: conmon's attach sockets live below the state directory, in at most 35 characters.
      Path work = Files.createDirectory(Path.of("/tmp/baot" + Long.toHexString(ThreadLocalRandom.current().nextInt() & 0xffffffffL)));
      String cgroupParent = "berth-aot-test-" + ProcessHandle.current().pid() + "-" + work.getFileName();
      Files.createDirectories(work.resolve("net.d"));
      Files.writeString(work.resolve("berth.toml"), """
          socket = "%1$s/berth.sock"
          root = "%1$s/root"
          state = "%1$s/s"
          metrics_address = "off"
          streaming_address = "127.0.0.1:0"
          [cni]
          conf_dir = "%1$s/net.d"
          [runtime]
          default_cgroup_parent = "/%2$s"
          """.formatted(work, cgroupParent));
      ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/berth").toString(), "serve", "--config",
          work.resolve("berth.toml").toString())
          .redirectOutput(work.resolve("daemon.out").toFile())
          .redirectError(work.resolve("daemon.log").toFile());
      builder.environment().keySet().removeIf(name -> name.startsWith("BERTH_AOT") || name.equals("BERTH_JAVA_OPTS"));
      builder.environment().putAll(environment);
      return new Daemon(builder.start(), work, cgroupParent);
    }

    boolean answersVersion() throws InterruptedException {
      long deadline = System.nanoTime() + FIRST_ANSWER_WAIT.toNanos();
      try (CriClient client = CriClient.connect(work.resolve("berth.sock"))) {
        while (System.nanoTime() < deadline && process.isAlive()) {
          try {
            VersionResponse version = client.runtime(Duration.ofSeconds(5)).version(VersionRequest.getDefaultInstance());
            return version.getRuntimeName().equals("berth");
          } catch (StatusRuntimeException e) {
            Thread.sleep(50);
          }
        }
      }
      return false;
    }

    /** Whether the daemon's JVM has this file mapped: what using an AOT cache means. */
    boolean maps(Path file) throws IOException {
      String real = file.toRealPath().toString();
      return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "maps")).stream()
          .anyMatch(line -> line.endsWith(" " + real));
    }

    String log() throws IOException {
      return Files.readString(work.resolve("daemon.log")) + Files.readString(work.resolve("daemon.out"));
    }

    /** SIGTERM, as systemd stops it, which must end it with 0; then removes what this daemon made. */
    void stopCleanly() throws Exception {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
      String log = log();
      new ProcessBuilder("sh", "-c", "rmdir /sys/fs/cgroup/*/" + cgroupParent + " 2>/dev/null; rm -rf " + work)
          .inheritIO().start().waitFor();
      assertEquals(0, process.exitValue(), log);
    }
  }
}
