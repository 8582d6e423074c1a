package dev.berth.bench;

import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/bench}: runs CRI workloads against one or more runtimes and reports percentiles and ratios. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "CRI benchmark: the same workloads against any CRI endpoint.",
    subcommands = {RunCommand.class, ColdStartCommand.class, GrowthCommand.class, CleanupCommand.class})
public final class Main implements Runnable {

  /**
   * grpc-java asks every client and server channel for SO_KEEPALIVE, which a unix socket does not
   * have, and Netty warns through java.util.logging on each connection (two lines per CRI client,
   * more at the cold-start's client warm-up), burying the bench's own output. The warning is
   * logged through the logger of the bootstrap at hand (Bootstrap for a client, ServerBootstrap
   * for the warm-up's server), so the level is set on their package. Held here: the logging
   * framework keeps loggers only weakly, and a collected one would forget its level.
   */
  private static final Logger BOOTSTRAP_LOGGER = Logger.getLogger("io.netty.bootstrap");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    BOOTSTRAP_LOGGER.setLevel(Level.SEVERE);
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (run, cold-start, growth, cleanup)");
  }
}
