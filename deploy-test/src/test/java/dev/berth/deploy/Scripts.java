package dev.berth.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the repository's shell scripts and keeps what they said. */
final class Scripts {

  /** The checkout: Surefire runs each module's tests in the module's directory. */
  static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();

  record Result(int exitCode, String output) {}

  private Scripts() {}

  static Result run(Path script, String... args) throws IOException, InterruptedException {
    return run(Map.of(), script, args);
  }

  /** Runs the script with these variables added to (or, when empty, removed from) its environment. */
  static Result run(Map<String, String> environment, Path script, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(script.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    environment.forEach((name, value) -> {
      if (value.isEmpty()) {
        builder.environment().remove(name);
      } else {
        builder.environment().put(name, value);
      }
    });
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(script + " did not finish in 60 s: " + output);
    }
    return new Result(process.exitValue(), output);
  }
}
