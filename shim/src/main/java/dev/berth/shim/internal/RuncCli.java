package dev.berth.shim.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.berth.linux.ChildProcess;
import dev.berth.linux.PosixSpawn;
import dev.berth.linux.SpawnRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the OCI runtime's command line (runc, or crun which takes the same flags) against one state
 * root. Each call is one {@code posix_spawn} ({@link PosixSpawn#start}) watched by the shared
 * waiter: where {@link ProcessBuilder} exec'd its {@code jspawnhelper} first and kept a reaper
 * thread per runtime process; {@code runc start} is on every pod's start.
 */
public final class RuncCli {
  private static final Logger log = LoggerFactory.getLogger(RuncCli.class);
  /** runc logs errors as logfmt: {@code time="..." level=error msg="container does not exist"}. */
  private static final Pattern LOGFMT_LEVEL = Pattern.compile("(^|\\s)level=");
  private static final Pattern LOGFMT_ERROR_LEVEL = Pattern.compile("(^|\\s)level=(error|fatal|panic)\\b");
  private static final Pattern LOGFMT_MSG = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private static final Path DEV_NULL = Path.of("/dev/null");
  /** The daemon's own directory, where ProcessBuilder left the runtime: a relative path means what it meant. */
  private static final Path WORK_DIR = Path.of("").toAbsolutePath();

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
    // stdin as a pipe only when there is something to feed (fd 0 is /dev/null otherwise);
    // stdout and stderr are pipes the shared waiter drains, closed when runc exits.
    ChildProcess process = PosixSpawn.start(new SpawnRequest(command, System.getenv(), WORK_DIR, List.of()), stdin,
        true);
    ChildProcess.Exit exit = awaitOrKill(process, command, timeout);
    Result result = new Result(command, List.of(args), exit.exitCode(), exit.stdoutText(), exit.stderrText());
    log.debug("{} -> {}", command, result.exitCode());
    return result;
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
    ChildProcess process = PosixSpawn.start(new SpawnRequest(command, System.getenv(), WORK_DIR, List.of(
        new SpawnRequest.Open(0, DEV_NULL, PosixSpawn.O_RDONLY, 0),
        new SpawnRequest.Open(1, DEV_NULL, PosixSpawn.O_WRONLY, 0),
        new SpawnRequest.Open(2, errors, PosixSpawn.O_WRONLY | PosixSpawn.O_CREAT | PosixSpawn.O_TRUNC, 0600))),
        null, false);
    ChildProcess.Exit exit = awaitOrKill(process, command, limit);
    Result result = new Result(command, List.of(args), exit.exitCode(), "",
        java.nio.file.Files.readString(errors, StandardCharsets.UTF_8));
    log.debug("{} -> {}", command, result.exitCode());
    return result;
  }

  /**
   * Waits on the shared waiter's future, so a virtual thread here holds no carrier; a runtime
   * that outlives {@code limit} is killed (and reaped by the waiter) before this throws.
   */
  private static ChildProcess.Exit awaitOrKill(ChildProcess process, List<String> command, Duration limit)
      throws IOException {
    try {
      Optional<ChildProcess.Exit> exit = process.await(limit);
      if (exit.isEmpty()) {
        process.kill();
        throw new IOException(String.join(" ", command) + " did not finish within " + limit);
      }
      return exit.get();
    } catch (InterruptedException e) {
      process.kill();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
  }
}
