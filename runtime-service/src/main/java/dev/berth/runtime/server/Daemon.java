package dev.berth.runtime.server;

import dev.berth.cri.v1.ImageServiceGrpc;
import dev.berth.runtime.BerthVersion;
import dev.berth.runtime.cni.NetworkConfigProbe;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.cri.RuntimeInfoService;
import io.grpc.BindableService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running Berth daemon: its root lock, its directories and its CRI server. */
public final class Daemon {

  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private final BerthConfig config;
  private final RootLock lock;
  private final CriServer server;

  private Daemon(BerthConfig config, RootLock lock, CriServer server) {
    this.config = config;
    this.lock = lock;
    this.server = server;
  }

  /** Locks the root, then serves CRI; undoes both if either fails. */
  public static Daemon start(BerthConfig config) throws IOException {
    long started = System.nanoTime();
    createPrivateDirectory(config.root());
    createPrivateDirectory(config.state());
    RootLock lock = RootLock.acquire(config.root());
    try {
      CriServer server = CriServer.start(config.socket(), services(config));
      log.info("berth {} serving CRI on {} (root {}, state {}) after {} ms", BerthVersion.current(),
          config.socket(), config.root(), config.state(), (System.nanoTime() - started) / 1_000_000);
      return new Daemon(config, lock, server);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static List<BindableService> services(BerthConfig config) {
    NetworkConfigProbe network = new NetworkConfigProbe(config.cni().confDir(), config.cni().binDirs());
    return List.of(
        new RuntimeInfoService(config, network),
        // The image service answers UNIMPLEMENTED for every call until the image store lands.
        new ImageServiceGrpc.ImageServiceImplBase() {});
  }

  /** Drains in-flight calls (bounded by the configured timeout), removes the socket, unlocks. */
  public void stop() throws IOException, InterruptedException {
    boolean drained = server.stop(Duration.ofSeconds(config.shutdownTimeoutSeconds()));
    Files.deleteIfExists(config.socket());
    lock.close();
    log.info("berth stopped{}", drained ? "" : " (some calls were cancelled)");
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(SocketFile.DIRECTORY_MODE));
    }
  }
}
