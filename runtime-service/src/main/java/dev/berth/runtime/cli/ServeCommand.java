package dev.berth.runtime.cli;

import ch.qos.logback.classic.Level;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.server.Daemon;
import dev.berth.runtime.server.ShutdownSignal;
import dev.berth.runtime.server.StartPreload;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "serve", description = "Run the daemon: serve CRI on the socket until SIGTERM.")
final class ServeCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Mixin
  ConfigOptions options;

  /** Begun by {@link Main} before this class (and logging) loads; begun here when picocli read the line. */
  StartPreload preload;

  @Override
  public Integer call() throws InterruptedException {
    if (preload == null) {
      preload = StartPreload.begin();
    }
    BerthConfig config = options.effective();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.toLevel(config.logLevel().name()));
    // The JVM's own start, the flags and the configuration, before the daemon's: half of a cold
    // start's wait when classes are not in the AOT cache (README, "The AOT cache").
    ProcessHandle.current().info().startInstant().ifPresent(jvmStarted -> log.debug(
        "serve command reached {} ms after the process started",
        java.time.Duration.between(jvmStarted, java.time.Instant.now()).toMillis()));
    ShutdownSignal signal = ShutdownSignal.install();
    Daemon daemon;
    try {
      daemon = Daemon.start(config, preload);
    } catch (IOException e) {
      throw new CommandFailedException("cannot start: " + e.getMessage(), e);
    }
    String received = signal.await();
    log.info("{} received: stopping", received);
    try {
      daemon.stop();
    } catch (IOException e) {
      throw new CommandFailedException("unclean stop: " + e.getMessage(), e);
    }
    return 0;
  }
}
