package dev.berth.runtime.cli;

import dev.berth.runtime.BerthVersion;
import java.io.PrintWriter;
import java.util.OptionalInt;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/berth}'s commands as picocli reads them. Kept out of {@link Main}: the JVM's main
 * class is in the AOT cache, and a cached class whose code throws a picocli exception makes the
 * JVM load that class from picocli's jar (Java 5 bytecode, never cached) while it starts, opening
 * every jar before picocli's on the class path to find it, on every daemon start.
 */
@Command(
    name = "berth",
    mixinStandardHelpOptions = true,
    versionProvider = BerthCommand.Version.class,
    description = "Berth, a Kubernetes container runtime (CRI v1).",
    subcommands = {ServeCommand.class, ConfigCommand.class, VersionCommand.class, StatusCommand.class,
        ImagesCommand.class, PodDemoCommand.class, CheckCommand.class, AotWorkloadCommand.class})
final class BerthCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs {@code args} through picocli and returns the exit code. */
  static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new BerthCommand())
        // The last of a repeated flag wins, as scripts that append overrides expect.
        .setOverwrittenOptionsAllowed(true)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          OptionalInt code = Main.expectedFailure(e, err);
          if (code.isPresent()) {
            return code.getAsInt();
          }
          throw e;
        });
    return commandLine.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (serve, config, version, status, check)");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"berth " + BerthVersion.current()};
    }
  }
}
