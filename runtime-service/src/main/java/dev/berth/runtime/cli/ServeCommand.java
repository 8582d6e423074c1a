package dev.berth.runtime.cli;

import ch.qos.logback.classic.Level;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.server.Daemon;
import dev.berth.runtime.server.ShutdownSignal;
import dev.berth.runtime.server.StartPreload;
import dev.berth.runtime.sys.ProcessAge;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "serve", description = "Run the daemon: serve CRI on the socket until SIGTERM.")
final class ServeCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Mixin
  ConfigOptions options;

  /** {@link #options}' configuration, read by {@link Main} beside logging's start; read here when null. */
  CompletableFuture<BerthConfig> configRead;

  @Override
  public Integer call() throws InterruptedException {
    // First, while the configuration is still being read, but only now that this class has started
    // logging: SLF4J hands a thread that asks for a logger while another one starts it a stand-in
    // logger, and the root logger's level below must be logback's own.
    StartPreload preload = StartPreload.begin();
    BerthConfig config = effectiveConfig();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.toLevel(config.logLevel().name()));
    // The launcher, the JVM's own start, logging's and the configuration, before the daemon's: half
    // of a cold start's wait when classes are not in the AOT cache (README, "The AOT cache").
    ProcessAge.ofThisProcess().ifPresent(age -> log.debug("serve command reached {} ms after the process started",
        age));
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

  /** A configuration error is thrown as itself, as if it had been read on this thread. */
  private BerthConfig effectiveConfig() {
    if (configRead == null) {
      return options.effective();
    }
    try {
      return configRead.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }
}
