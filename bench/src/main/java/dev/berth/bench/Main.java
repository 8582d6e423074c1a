package dev.berth.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/bench}: runs CRI workloads against one or more runtimes and reports percentiles and ratios. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "CRI benchmark: the same workloads against any CRI endpoint.",
    subcommands = {RunCommand.class, ColdStartCommand.class, GrowthCommand.class, CleanupCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (run, cold-start, growth, cleanup)");
  }
}
