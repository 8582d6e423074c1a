package dev.berth.runtime.cli;

import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.config.ConfigException;
import dev.berth.runtime.server.StartPreload;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * {@code bin/berth}: the daemon and the few client commands an operator needs next to it. A plain
 * {@code serve} line starts the daemon without picocli; everything else goes to {@link BerthCommand}.
 */
public final class Main {

  /** Exit code for a bad flag or configuration, as for any usage error. */
  static final int EXIT_USAGE = 2;
  /** Exit code when the daemon or a call fails. */
  static final int EXIT_FAILURE = 1;

  private Main() {}

  public static void main(String[] args) {
    LibraryDefaults.apply();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs one command line and returns its exit code; never calls System.exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    Optional<ConfigOptions> serve = ServeArguments.parse(List.of(args));
    if (serve.isPresent()) {
      return serve(serve.get(), err);
    }
    return BerthCommand.execute(args, out, err);
  }

  /** The daemon, without picocli on its start's path (see {@link ServeArguments}). */
  private static int serve(ConfigOptions options, PrintWriter err) {
    // Reading the configuration (Jackson's TOML mapper and its introspection of the config records:
    // the largest part of a cached daemon's wait before Daemon.start) logs nothing, so it runs
    // beside the start of logging, which loading ServeCommand begins on this thread.
    CompletableFuture<BerthConfig> config = CompletableFuture.supplyAsync(options::effective, StartPreload::onOwnThread);
    ServeCommand command = new ServeCommand();
    command.options = options;
    command.configRead = config;
    try {
      return command.call();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("berth: interrupted");
      return EXIT_FAILURE;
    } catch (RuntimeException e) {
      OptionalInt code = expectedFailure(e, err);
      if (code.isPresent()) {
        return code.getAsInt();
      }
      throw e;
    }
  }

  /** The exit code of a command that failed for a reason a person can act on, said on {@code err}. */
  static OptionalInt expectedFailure(Exception e, PrintWriter err) {
    if (e instanceof ConfigException || e instanceof CommandFailedException) {
      err.println("berth: " + e.getMessage());
      return OptionalInt.of(e instanceof ConfigException ? EXIT_USAGE : EXIT_FAILURE);
    }
    return OptionalInt.empty();
  }
}
