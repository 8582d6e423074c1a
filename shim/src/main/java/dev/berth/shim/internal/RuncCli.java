package dev.berth.shim.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the OCI runtime's command line (runc, or crun which takes the same flags) against one state root. */
public final class RuncCli {
  private static final Logger log = LoggerFactory.getLogger(RuncCli.class);
  /** runc logs errors as logfmt: {@code time="..." level=error msg="container does not exist"}. */
  private static final Pattern LOGFMT_LEVEL = Pattern.compile("(^|\\s)level=");
  private static final Pattern LOGFMT_ERROR_LEVEL = Pattern.compile("(^|\\s)level=(error|fatal|panic)\\b");
  private static final Pattern LOGFMT_MSG = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final Path runtime;
  private final Path root;
  private final Path criu;
  private final Duration timeout;

  /** @param args what followed the runtime's global flags: the subcommand and its arguments */
  public record Result(List<String> command, List<String> args, int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** The runtime's own error text, without logfmt decoration. */
    public String error() {
      String text = errorText(stderr);
      return text.isEmpty() ? "exit status " + exitCode : text;
    }

    /** runc says "container does not exist"; crun names the missing state file. */
    public boolean containerUnknown() {
      return stderr.contains("does not exist") || stderr.contains("No such file or directory");
    }

    public String describe() {
      return String.join(" ", args) + ": " + error();
    }
  }

  /** The messages of runc's logfmt error lines, or the text as it is when it has none. */
  public static String errorText(String stderr) {
    List<String> errors = new ArrayList<>();
    List<String> all = new ArrayList<>();
    // One logfmt record per line from runc; conmon may hand them over joined on one line.
    for (String line : stderr.split("\n|(?=time=\")")) {
      Matcher m = LOGFMT_MSG.matcher(line);
      if (!m.find()) {
        continue;
      }
      String message = m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
      all.add(message);
      // runc warns about its clean-up (freezer, missing paths) before it names the real failure.
      if (!LOGFMT_LEVEL.matcher(line).find() || LOGFMT_ERROR_LEVEL.matcher(line).find()) {
        errors.add(message);
      }
    }
    if (all.isEmpty()) {
      return stderr.strip();
    }
    return String.join("; ", errors.isEmpty() ? all : errors);
  }

  /** With {@code criu} non-null, the runtime runs that CRIU for checkpoint and restore. */
  public RuncCli(Path runtime, Path root, Path criu, Duration timeout) {
    this.runtime = runtime;
    this.root = root;
    this.criu = criu;
    this.timeout = timeout;
  }

  public Result run(String... args) throws IOException {
    return run(null, args);
  }

  /** Runs {@code runtime --root ROOT args...}, feeding {@code stdin} when given. */
  public Result run(byte[] stdin, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(runtime.toString(), "--root", root.toString()));
    if (criu != null) {
      command.addAll(List.of("--criu", criu.toString()));
    }
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
            : ProcessBuilder.Redirect.PIPE)
        .start();
    Future<String> out = drain(process.getInputStream());
    Future<String> err = drain(process.getErrorStream());
    try {
      if (stdin != null) {
        try (OutputStream in = process.getOutputStream()) {
          in.write(stdin);
        }
      }
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + timeout);
      }
      Result result = new Result(command, List.of(args), process.exitValue(), get(out), get(err));
      log.debug("{} -> {}", command, result.exitCode());
      return result;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
  }

  /**
   * Runs {@code runtime --root ROOT args...} when the container's process outlives the runtime
   * ({@code run --detach}): that process inherits the runtime's stdio, so none of it may be a pipe
   * this waits to see closed. stdin and stdout are /dev/null; stderr is the file {@code errors},
   * read back into the result once the runtime has exited.
   */
  public Result runDetached(Path errors, Duration limit, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(runtime.toString(), "--root", root.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(errors.toFile())
        .start();
    try {
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + limit);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
    Result result = new Result(command, List.of(args), process.exitValue(), "",
        java.nio.file.Files.readString(errors, StandardCharsets.UTF_8));
    log.debug("{} -> {}", command, result.exitCode());
    return result;
  }

  /**
   * A virtual thread is fine here, unlike for conmon's FIFOs: the JDK's Process streams tell the
   * scheduler they block (it adds a carrier meanwhile), and runc's pipes close when it exits.
   */
  private static Future<String> drain(InputStream stream) {
    FutureTask<String> task = new FutureTask<>(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      }
    });
    Thread.ofVirtual().start(task);
    return task;
  }

  private static String get(Future<String> output) throws IOException, InterruptedException {
    try {
      return output.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("reading the runtime's output", e);
    }
  }
}
