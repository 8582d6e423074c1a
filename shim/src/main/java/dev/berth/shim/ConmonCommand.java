package dev.berth.shim;

import dev.berth.shim.internal.ShimPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds conmon's argv for a container create and for a synchronous exec. */
final class ConmonCommand {
  private final ShimConfig config;
  private final ShimPaths paths;

  ConmonCommand(ShimConfig config, ShimPaths paths) {
    this.config = config;
    this.paths = paths;
  }

  public List<String> create(CreateRequest request) {
    String id = request.id();
    RuntimeBinary runtime = config.runtimeOf(request.runtimeHandler())
        .orElseThrow(() -> new IllegalArgumentException("runtime handler \"" + request.runtimeHandler()
            + "\" is not configured"));
    List<String> argv = common(runtime, id, id);
    add(argv, "-b", request.bundle().toString());
    add(argv, "-p", paths.containerPidFile(id).toString());
    add(argv, "-P", paths.conmonPidFile(id).toString());
    add(argv, "-l", request.logPath() == null ? "none" : "k8s-file:" + request.logPath());
    add(argv, "--exit-dir", config.exitDir().toString());
    add(argv, "-0", paths.containerDir(id).toString());
    add(argv, "--socket-dir-path", config.socketDir().toString());
    if (request.stdin()) {
      argv.add("-i");
      if (!request.stdinOnce()) {
        argv.add("--leave-stdin-open");
      }
    }
    if (request.terminal()) {
      argv.add("-t");
    }
    if (request.restoreFrom() != null) {
      // conmon then runs `runtime restore --detach --image-path DIR --work-path BUNDLE`.
      add(argv, "--restore", request.restoreFrom().toString());
    }
    return argv;
  }

  /**
   * An exec gets no bundle ({@code -b}) on purpose: with one, conmon would replace the
   * container's own attach socket and ctl FIFO in that bundle with its own. It also gets no
   * exit dir, so the exit watcher never mistakes an exec's end for the container's. Its log
   * stops growing at {@code logLimitBytes} ({@code --log-global-size-max}: conmon keeps reading
   * the process's output and drops what no longer fits), so a chatty command cannot fill the
   * state tmpfs; its {@code -P} pid file lets a restarted daemon find and end it.
   */
  public List<String> exec(RuntimeBinary runtime, String id, String execId, Path execDir, Path processSpec, Path log,
      int timeoutSeconds, long logLimitBytes) {
    List<String> argv = common(runtime, id, execId);
    add(argv, "-p", execDir.resolve("pid").toString());
    add(argv, "-P", execDir.resolve("conmon.pid").toString());
    add(argv, "-l", "k8s-file:" + log);
    add(argv, "--log-global-size-max", Long.toString(logLimitBytes));
    argv.add("-e");
    add(argv, "--exec-process-spec", processSpec.toString());
    add(argv, "-T", Integer.toString(timeoutSeconds));
    return argv;
  }

  /**
   * An exec that a client attaches to ({@code --exec-attach}). Its bundle ({@code -b}) is the
   * exec's own directory, never the container's: conmon binds the attach socket and makes the
   * ctl FIFO in its bundle, and would otherwise replace the container's own. Like every exec it
   * gets no exit dir, and no timeout: a stream lasts as long as its client wants.
   */
  public List<String> execAttached(RuntimeBinary runtime, String id, String execId, Path execDir, Path processSpec,
      boolean terminal, boolean stdin) {
    List<String> argv = common(runtime, id, execId);
    add(argv, "-b", execDir.toString());
    add(argv, "-p", execDir.resolve("pid").toString());
    add(argv, "-P", execDir.resolve("conmon.pid").toString());
    add(argv, "-l", "none");
    add(argv, "--socket-dir-path", config.socketDir().toString());
    argv.add("-e");
    argv.add("--exec-attach");
    add(argv, "--exec-process-spec", processSpec.toString());
    if (stdin) {
      argv.add("-i");
    }
    if (terminal) {
      argv.add("-t");
    }
    return argv;
  }

  private List<String> common(RuntimeBinary runtime, String id, String uuid) {
    List<String> argv = new ArrayList<>();
    argv.add(config.conmon().toString());
    // API version 1: every sync-pipe message is {"data": N[, "message": "..."]}, and an exec
    // reports its pid first and its exit code second.
    argv.add("--api-version");
    argv.add("1");
    add(argv, "-c", id);
    add(argv, "-u", uuid);
    add(argv, "-n", id);
    add(argv, "-r", runtime.binary().toString());
    add(argv, "--runtime-arg", "--root");
    add(argv, "--runtime-arg", runtime.root().toString());
    if (config.criu() != null) {
      add(argv, "--runtime-arg", "--criu");
      add(argv, "--runtime-arg", config.criu().toString());
    }
    return argv;
  }

  private static void add(List<String> argv, String flag, String value) {
    argv.add(flag);
    argv.add(value);
  }
}
