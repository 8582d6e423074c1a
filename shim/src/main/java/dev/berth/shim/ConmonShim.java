package dev.berth.shim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.shim.internal.ConmonLaunch;
import dev.berth.shim.internal.ExecAttachLaunch;
import dev.berth.shim.internal.CriLogSplitter;
import dev.berth.shim.internal.ExecDirs;
import dev.berth.shim.internal.ExecFifo;
import dev.berth.shim.internal.Libc;
import dev.berth.shim.internal.ProcFs;
import dev.berth.shim.internal.RuncCli;
import dev.berth.shim.internal.ShimLiveness;
import dev.berth.shim.internal.ShimPaths;
import dev.berth.shim.internal.SyncMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * Runs containers through one conmon per container process, with runc (or crun) as the OCI
 * runtime, or without a conmon when nothing needs one ({@link DetachedRuntime}). Stateless apart
 * from the files it keeps under the configured directories, so a new instance after a daemon
 * restart sees the same containers.
 */
public final class ConmonShim implements OciRuntime, DetachedRuntime {
  private static final Logger log = LoggerFactory.getLogger(ConmonShim.class);
  private static final Duration RUNTIME_TIMEOUT = Duration.ofSeconds(30);
  /** Exit files, attach sockets and pid files are for the daemon alone, from their first moment. */
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  /** After runc exec is asked to stop at the deadline, how long conmon gets to report. */
  private static final Duration EXEC_GRACE = Duration.ofSeconds(5);
  private static final Duration SHIM_EXIT_WAIT = Duration.ofSeconds(5);

  private final ShimConfig config;
  private final ShimPaths paths;
  private final ConmonCommand commands;
  /** One command line per runtime handler, {@code ""} being the default. */
  private final Map<String, RuncCli> runtimes;
  /** Which handler made each container, read once from its shim dir (it survives a restart). */
  private final ConcurrentMap<String, String> handlerOf = new ConcurrentHashMap<>();
  /** Handlers whose containers start through runc's exec FIFO; see {@link #runcHandlers}. */
  private volatile Set<String> runcHandlers = Set.of();
  private final ExitFiles exitFiles;
  private final ExecDirs execDirs;
  private final ShimLiveness liveness = new ShimLiveness("conmon", "-u");
  private final ObjectMapper json = new ObjectMapper();

  public ConmonShim(ShimConfig config) {
    this.config = config;
    this.paths = new ShimPaths(config.persistDir(), config.exitDir(), config.socketDir());
    this.commands = new ConmonCommand(config, paths);
    Map<String, RuncCli> byHandler = new HashMap<>();
    byHandler.put("", new RuncCli(config.runtime(), config.runtimeRoot(), config.criu(), RUNTIME_TIMEOUT));
    config.handlers().forEach(h -> byHandler.put(h.handler(),
        new RuncCli(h.binary(), h.root(), config.criu(), RUNTIME_TIMEOUT)));
    this.runtimes = Map.copyOf(byHandler);
    this.exitFiles = new ExitFiles(paths);
    this.execDirs = new ExecDirs(config.persistDir(), config.socketDir());
    try {
      for (RuntimeBinary handler : config.handlers()) {
        Files.createDirectories(handler.root(), OWNER_ONLY);
      }
      Files.createDirectories(config.exitDir(), OWNER_ONLY);
      Files.createDirectories(config.persistDir(), OWNER_ONLY);
      Files.createDirectories(config.socketDir(), OWNER_ONLY);
      Files.createDirectories(config.runtimeRoot(), OWNER_ONLY);
    } catch (IOException e) {
      throw new UncheckedIOException("creating shim directories", e);
    }
  }

  /**
   * Spawns conmon, which runs {@code runtime create}; returns once the container exists (created,
   * not started). With {@link CreateRequest#restoreFrom} conmon runs {@code runtime restore}
   * instead, and the container is already running when this returns.
   */
  @Override
  public CreatedProcess create(CreateRequest request) throws ShimException {
    try (PendingCreate pending = beginCreate(request)) {
      return pending.finish();
    }
  }

  /**
   * Spawns conmon with its start byte held back: conmon's exec, libraries and log are done by the
   * time the caller's bundle is, and {@link PendingCreate#finish} lets it run the runtime. Were
   * the daemon to die before the finish, conmon would read the end of its start pipe and go on;
   * what it then does is what a daemon killed during the runtime's create leaves (the container's
   * creation note undoes it), and a bundle without its config.json fails the runtime at once.
   */
  @Override
  public PendingCreate beginCreate(CreateRequest request) throws ShimException {
    String id = ShimPaths.checkId(request.id());
    if (config.runtimeOf(request.runtimeHandler()).isEmpty()) {
      throw new ShimException("runtime handler \"" + request.runtimeHandler() + "\" is not configured");
    }
    Path socket = paths.attachSocket(id);
    if (!ShimPaths.fitsSocketPath(socket)) {
      throw new ShimException("attach socket path " + socket + " is longer than "
          + ShimPaths.MAX_SOCKET_PATH + " bytes; use a shorter socket dir");
    }
    Path dir = paths.containerDir(id);
    boolean logExisted = request.logPath() != null && Files.exists(request.logPath());
    try {
      if (Files.exists(paths.conmonPidFile(id))) {
        throw new ShimException("container " + id + " already has shim files in " + dir + "; delete it first");
      }
      Files.createDirectories(dir, OWNER_ONLY);
      rememberHandler(id, request.runtimeHandler());
      Files.deleteIfExists(paths.bundleLink(id));
      Files.createSymbolicLink(paths.bundleLink(id), request.bundle().toAbsolutePath());
      Files.deleteIfExists(paths.exitFile(id));
    } catch (IOException e) {
      throw new ShimException("preparing shim files for " + id + ": " + e.getMessage(), e);
    }
    try {
      return new HeldConmon(request, logExisted, ConmonLaunch.start(commands.create(request), dir, dir,
          ConmonLaunch.StartPipe.HELD, 1, paths.conmonOutput(id), json));
    } catch (IOException e) {
      removeShimFiles(id);
      throw new ShimException("starting conmon for " + id + ": " + e.getMessage(), e);
    }
  }

  /** A create whose conmon waits for its start byte; see {@link #beginCreate}. */
  private final class HeldConmon implements PendingCreate {
    private final CreateRequest request;
    private final String id;
    private final boolean logExisted;
    private final ConmonLaunch launch;
    private final long started = System.nanoTime();
    private boolean finishing;

    HeldConmon(CreateRequest request, boolean logExisted, ConmonLaunch launch) {
      this.request = request;
      this.id = request.id();
      this.logExisted = logExisted;
      this.launch = launch;
    }

    @Override
    public CreatedProcess finish() throws ShimException {
      if (!Files.isRegularFile(request.bundle().resolve("config.json"))) {
        throw new ShimException("bundle " + request.bundle() + " has no config.json");
      }
      // From here on a failure is undone as a create that ran: conmon may have forked and runc run.
      finishing = true;
      try (launch) {
        launch.letStart();
        SyncMessage reply = launch.next(request.timeout());
        if (reply.failed()) {
          throw new ShimException((request.restoreFrom() == null ? "creating container " : "restoring container ")
              + id + ": " + describe(reply, id) + restoreLog(request));
        }
        long shimPid = ProcFs.readPid(paths.conmonPidFile(id)).orElse(-1L);
        log.debug("created {} pid {} conmon {} in {} ms (fifos open after {} ms)", id, reply.data(), shimPid,
            (System.nanoTime() - started) / 1_000_000, String.format("%.1f", launch.millisToHandshake()));
        return new CreatedProcess(reply.data(), shimPid);
      } catch (ShimException e) {
        undoCreate(id);
        throw e;
      } catch (TimeoutException e) {
        String message = "creating container " + id + ": " + e.getMessage() + conmonOutput(id);
        undoCreate(id);
        throw new ShimException(message);
      } catch (IOException e) {
        String message = "creating container " + id + ": " + e.getMessage() + conmonOutput(id);
        undoCreate(id);
        throw new ShimException(message, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        undoCreate(id);
        throw new ShimException("interrupted while creating container " + id, e);
      }
    }

    /**
     * Unfinished, conmon is ended before it did anything of the container's, and its shim files
     * and a log file it opened for the container (empty: nothing ran) go with it.
     */
    @Override
    public void close() {
      if (finishing) {
        return;
      }
      finishing = true;
      launch.close();
      removeShimFiles(id);
      if (!logExisted && request.logPath() != null) {
        try {
          if (Files.isRegularFile(request.logPath()) && Files.size(request.logPath()) == 0) {
            Files.delete(request.logPath());
          }
        } catch (IOException e) {
          log.warn("removing the empty log {} of an abandoned create: {}", request.logPath(), e.toString());
        }
      }
    }
  }

  private String describe(SyncMessage reply, String id) {
    String message = reply.message() == null ? "" : RuncCli.errorText(reply.message());
    return message.isEmpty() ? "conmon reported " + reply.data() + conmonOutput(id) : message;
  }

  /** CRIU's own account of a failed restore, which runc only summarises; conmon runs it in the bundle. */
  private static String restoreLog(CreateRequest request) {
    if (request.restoreFrom() == null) {
      return "";
    }
    try {
      List<String> lines = Files.readAllLines(request.bundle().resolve("restore.log"));
      List<String> errors = lines.stream().filter(l -> l.contains("Error")).limit(5).toList();
      return errors.isEmpty() ? "" : " (CRIU: " + String.join("; ", errors).strip() + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private String conmonOutput(String id) {
    try {
      String text = Files.readString(paths.conmonOutput(id)).strip();
      return text.isEmpty() ? "" : " (conmon: " + text + ")";
    } catch (IOException e) {
      return "";
    }
  }

  /** A failed create leaves neither a runtime container, nor a conmon, nor shim files behind. */
  private void undoCreate(String id) {
    ProcFs.readPid(paths.conmonPidFile(id))
        .filter(pid -> ProcFs.isConmonFor(pid, id))
        .flatMap(ProcessHandle::of)
        .ifPresent(ProcessHandle::destroyForcibly);
    try {
      RuncCli.Result result = runtimeOf(id).run("delete", "--force", id);
      if (!result.ok() && !result.containerUnknown()) {
        log.warn("undoing create of {}: {}", id, result.describe());
      }
    } catch (IOException e) {
      log.warn("undoing create of {}: {}", id, e.toString());
    }
    removeShimFiles(id);
  }

  @Override
  public long runDetached(String id, Path bundle, String runtimeHandler, Duration timeout) throws ShimException {
    ShimPaths.checkId(id);
    if (config.runtimeOf(runtimeHandler).isEmpty()) {
      throw new ShimException("runtime handler \"" + runtimeHandler + "\" is not configured");
    }
    if (!Files.isRegularFile(bundle.resolve("config.json"))) {
      throw new ShimException("bundle " + bundle + " has no config.json");
    }
    Path dir = paths.containerDir(id);
    try {
      if (Files.exists(dir)) {
        throw new ShimException("container " + id + " already has shim files in " + dir + "; delete it first");
      }
      Files.createDirectories(dir, OWNER_ONLY);
      rememberHandler(id, runtimeHandler);
    } catch (IOException e) {
      throw new ShimException("preparing shim files for " + id + ": " + e.getMessage(), e);
    }
    long started = System.nanoTime();
    try {
      RuncCli.Result result = runtimeOf(id).runDetached(paths.detachedRunErrors(id), timeout, "run", "--detach",
          "--bundle", bundle.toAbsolutePath().toString(), "--pid-file", paths.containerPidFile(id).toString(), id);
      if (!result.ok()) {
        throw new ShimException("running container " + id + ": " + result.error());
      }
      long pid = ProcFs.readPid(paths.containerPidFile(id))
          .orElseThrow(() -> new ShimException("running container " + id + ": the runtime wrote no pid file"));
      // Read at once: runc has just started it, so this is its start time, not a recycled pid's.
      long startTime = ProcFs.startTime(pid)
          .orElseThrow(() -> new ShimException("running container " + id + ": its process " + pid + " ended at once"));
      Files.writeString(paths.detachedFile(id), pid + " " + startTime + "\n");
      Files.deleteIfExists(paths.detachedRunErrors(id));
      log.debug("ran {} detached, pid {}, in {} ms", id, pid, (System.nanoTime() - started) / 1_000_000);
      return pid;
    } catch (ShimException e) {
      undoCreate(id);
      throw e;
    } catch (IOException e) {
      undoCreate(id);
      throw new ShimException("running container " + id + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean isDetached(String id) {
    return Files.exists(paths.detachedFile(ShimPaths.checkId(id)));
  }

  @Override
  public boolean isDetachedRunning(String id) {
    try {
      String[] fields = Files.readString(paths.detachedFile(ShimPaths.checkId(id))).strip().split(" ");
      return fields.length == 2 && ProcFs.isRunning(Long.parseLong(fields[0]), Long.parseLong(fields[1]));
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  /**
   * Starts a created container: through runc's exec FIFO ({@link ExecFifo}) when its handler's
   * runtime is runc, with the runtime's own {@code start} otherwise (and when runc left no FIFO,
   * so that runc says why the container cannot start).
   */
  public void start(String id) throws ShimException {
    ShimPaths.checkId(id);
    if (runcHandlers.contains(handlerOf.computeIfAbsent(id, this::readHandler))) {
      Optional<Long> initPid = ProcFs.readPid(paths.containerPidFile(id));
      try {
        if (initPid.isPresent()
            && ExecFifo.release(runtimeStateDir(id).resolve(ExecFifo.NAME), initPid.get(), RUNTIME_TIMEOUT)) {
          return;
        }
      } catch (IOException e) {
        throw new ShimException("starting container " + id + ": " + e.getMessage(), e);
      }
    }
    check(runtime(id, "start", id));
  }

  /**
   * Which handlers' runtime is runc, as their {@code features} say; known only once the daemon's
   * probes answered, and until then every container starts with its runtime's {@code start}.
   */
  public void runcHandlers(Set<String> handlers) {
    this.runcHandlers = Set.copyOf(handlers);
  }

  /**
   * A {@link #runDetached} that a killed daemon left unfinished (its errors file is there, its
   * record of the run is not) may still have its runtime making the container: that process is
   * killed and awaited first, or the container it makes would come after this delete and be
   * nobody's. Found by the pid file its command line names, a path of this daemon's own.
   */
  private void endUnfinishedRun(String id) throws ShimException {
    if (!Files.exists(paths.detachedRunErrors(id)) || Files.exists(paths.detachedFile(id))) {
      return;
    }
    for (long pid : ProcFs.naming("--pid-file", paths.containerPidFile(id).toString())) {
      log.info("ending pid {}, a run of {} left unfinished by an earlier daemon", pid, id);
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      if (!awaitEnd(() -> ProcFs.stat(pid).filter(ProcFs.Stat::isLive).isPresent())) {
        throw new ShimException("deleting " + id + ": the unfinished run " + pid + " did not end");
      }
    }
  }

  /** Signals the container's init, or every process in it; a container that is already gone is not an error. */
  public void kill(String id, int signal, boolean all) throws ShimException {
    ShimPaths.checkId(id);
    RuncCli.Result result = all
        ? runtime(id, "kill", "--all", id, Integer.toString(signal))
        : runtime(id, "kill", id, Integer.toString(signal));
    if (!result.ok() && !result.containerUnknown() && !result.stderr().contains("not running")
        && !result.stderr().contains("process already finished")) {
      throw new ShimException(result.describe());
    }
  }

  /** Force-deletes the container and removes its shim files; deleting an unknown id succeeds. */
  public void delete(String id) throws ShimException {
    ShimPaths.checkId(id);
    endUnfinishedRun(id);
    RuncCli.Result result = runtime(id, "delete", "--force", id);
    if (!result.ok() && !result.containerUnknown()) {
      throw new ShimException(result.describe());
    }
    // Wait for conmon to record the exit before removing its files, or it writes them again.
    Optional<Long> shim = ProcFs.readPid(paths.conmonPidFile(id)).filter(pid -> ProcFs.isConmonFor(pid, id));
    if (shim.isPresent()) {
      if (!awaitEnd(() -> ProcFs.isConmonFor(shim.get(), id))) {
        log.warn("conmon {} for {} still running after delete; killing it", shim.get(), id);
        ProcessHandle.of(shim.get()).ifPresent(ProcessHandle::destroyForcibly);
      }
    } else if (!Files.exists(paths.detachedFile(id))) {
      // No conmon: a launch a killed daemon cut short may have left its wrapper blocked on a FIFO.
      // (A container run detached never had a conmon, nor a wrapper.)
      for (long wrapper : ProcFs.wrappersOf(paths.containerDir(id))) {
        log.info("killing conmon wrapper {} of {}, left by an interrupted launch", wrapper, id);
        ProcessHandle.of(wrapper).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    removeShimFiles(id);
    liveness.forget(id);
    // An exec whose daemon crashed has nobody left to close it; its container's end is the last chance.
    execDirs.releaseAll(id);
  }

  /**
   * Ends every exec left by an earlier daemon and removes its files; call at start-up, before
   * serving. Their clients were connected to that daemon and are gone, so the exec'd processes
   * are killed rather than left running unseen in their containers.
   */
  public void releaseOrphanedExecs() {
    int released = execDirs.releaseEvery();
    if (released > 0) {
      log.info("ended {} exec(s) left by an earlier daemon", released);
    }
  }

  private void removeShimFiles(String id) {
    try {
      Optional<Path> bundle = bundleOf(id);
      if (bundle.isPresent()) {
        // conmon's ctl and winsz FIFOs and the attach socket live in the bundle.
        for (String name : new String[] {"ctl", "winsz", "attach"}) {
          Files.deleteIfExists(bundle.get().resolve(name));
        }
      }
      Files.deleteIfExists(paths.attachLink(id));
      Files.deleteIfExists(paths.exitFile(id));
      deleteTree(paths.containerDir(id));
    } catch (IOException e) {
      log.warn("removing shim files of {}: {}", id, e.toString());
    }
    handlerOf.remove(id);
  }

  /** Written before conmon runs, so that every later call reaches the runtime that made the container. */
  private void rememberHandler(String id, String handler) throws IOException {
    handlerOf.put(id, handler);
    if (handler.isEmpty()) {
      Files.deleteIfExists(paths.runtimeHandlerFile(id));
    } else {
      Files.writeString(paths.runtimeHandlerFile(id), handler);
    }
  }

  /**
   * The runtime that created the container: its handler file, or the default handler for a
   * container without one (every container made before handlers existed). A handler that is no
   * longer configured falls back to the default, with a warning, so the container can still be
   * stopped and removed.
   */
  private RuncCli runtimeOf(String id) {
    String handler = handlerOf.computeIfAbsent(id, this::readHandler);
    RuncCli runtime = runtimes.get(handler);
    if (runtime == null) {
      log.warn("container {} was made by runtime handler \"{}\", which is no longer configured; using the default",
          id, handler);
      return runtimes.get("");
    }
    return runtime;
  }

  /** Where the container's runtime keeps its state: below the state root of the container's own handler. */
  public Path runtimeStateDir(String id) {
    return ociRuntimeOf(ShimPaths.checkId(id)).root().resolve(id);
  }

  private RuntimeBinary ociRuntimeOf(String id) {
    return config.runtimeOf(handlerOf.computeIfAbsent(id, this::readHandler)).orElse(config.defaultRuntime());
  }

  private String readHandler(String id) {
    try {
      return Files.readString(paths.runtimeHandlerFile(id)).strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** The runtime's view of the container; empty when the runtime does not know the id. */
  public Optional<RuntimeState> state(String id) throws ShimException {
    RuncCli.Result result = runtime(ShimPaths.checkId(id), "state", id);
    if (!result.ok()) {
      if (result.containerUnknown()) {
        return Optional.empty();
      }
      throw new ShimException(result.describe());
    }
    try {
      JsonNode node = json.readTree(result.stdout());
      return Optional.of(new RuntimeState(node.path("id").asText(id),
          RuntimeState.Status.fromRuntime(node.path("status").asText()),
          node.path("pid").asLong(), Path.of(node.path("bundle").asText(""))));
    } catch (IOException | IllegalArgumentException e) {
      throw new ShimException("unexpected runtime state for " + id + ": " + result.stdout(), e);
    }
  }

  /** conmon's exit file: the exit code and when the container finished. */
  public Optional<ExitRecord> exit(String id) {
    return exitFiles.read(id);
  }

  /** Whether conmon saw the kernel's OOM killer act in the container's cgroup. */
  public boolean oomKilled(String id) {
    return Files.exists(paths.oomFile(id));
  }

  /**
   * Runs a process in the container through its own conmon and waits for it.
   *
   * @param processJson an OCI runtime-spec "process" object
   * @param timeout     rounded up to whole seconds (conmon's unit); the process and its process
   *                    group are killed when it runs longer
   */
  public ExecResult execSync(String id, String processJson, Duration timeout) throws ShimException {
    ShimPaths.checkId(id);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("exec timeout must be positive: " + timeout);
    }
    int seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (timeout.toMillis() + 999) / 1000));
    String execId = newExecId();
    Path dir;
    try {
      Files.createDirectories(config.persistDir(), OWNER_ONLY);
      // Beside the container's dir, not inside it: an exec must not depend on how it was created.
      dir = execDirs.create(id, execId);
    } catch (IOException e) {
      throw new ShimException("preparing exec in " + id + ": " + e.getMessage(), e);
    }
    Path spec = dir.resolve("process.json");
    Path logFile = dir.resolve("exec.log");
    Path output = dir.resolve("conmon.out");
    Long execPid = null;
    try {
      Files.writeString(spec, processJson);
      try (ConmonLaunch launch = ConmonLaunch.start(
          commands.exec(ociRuntimeOf(id), id, execId, dir, spec, logFile, seconds, ExecResult.OUTPUT_LIMIT), dir, dir,
          ConmonLaunch.StartPipe.NONE, 2, output, json)) {
        SyncMessage started = launch.next(RUNTIME_TIMEOUT);
        if (started.failed()) {
          throw new ShimException("exec in " + id + ": " + describeExec(started, output));
        }
        execPid = (long) started.data();
        SyncMessage ended;
        try {
          ended = launch.next(Duration.ofSeconds(seconds).plus(EXEC_GRACE));
        } catch (TimeoutException e) {
          // conmon should have killed it at the deadline and said so; make sure ourselves.
          log.warn("conmon did not report the end of exec {} in {}; killing pid {}", execId, id, execPid);
          killTree(execPid);
          return execResult(-1, logFile, true);
        }
        if (ended.timedOut()) {
          return execResult(-1, logFile, true);
        }
        if (ended.failed() && ended.message() != null) {
          throw new ShimException("exec in " + id + ": " + describeExec(ended, output));
        }
        return execResult(ended.data(), logFile, false);
      }
    } catch (TimeoutException e) {
      throw new ShimException("exec in " + id + ": " + e.getMessage());
    } catch (IOException e) {
      if (execPid != null) {
        killTree(execPid);
      }
      throw new ShimException("exec in " + id + ": " + e.getMessage() + readQuietly(output), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (execPid != null) {
        killTree(execPid);
      }
      throw new ShimException("interrupted during exec in " + id, e);
    } finally {
      // A cancelled caller is interrupted; the release still waits for conmon to be gone.
      boolean interrupted = Thread.interrupted();
      execDirs.release(dir);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The answer from the exec's log. conmon stops writing the log at the limit, so a log that
   * reached it was cut short even when every line in it fits.
   */
  private static ExecResult execResult(int exitCode, Path logFile, boolean timedOut) throws IOException {
    CriLogSplitter.Streams streams = new CriLogSplitter(ExecResult.OUTPUT_LIMIT).split(logFile);
    boolean logFull = Files.exists(logFile) && Files.size(logFile) >= ExecResult.OUTPUT_LIMIT;
    return new ExecResult(exitCode, streams.stdout(), streams.stderr(), timedOut, streams.truncated() || logFull);
  }

  private static String newExecId() {
    return "x" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  }

  /**
   * Runs a process in the container through its own conmon with the caller attached to its
   * stdio: conmon binds the exec's attach socket, this connects to it, and only then is the
   * process started, so no output is lost. The process lives until it exits or is killed; the
   * caller closes the session when done.
   *
   * @param processJson an OCI runtime-spec "process" object (its {@code terminal} must match {@code tty})
   */
  public ExecSession execAttached(String id, String processJson, boolean tty, boolean stdin) throws ShimException {
    ShimPaths.checkId(id);
    String execId = newExecId();
    Path socketLink = execDirs.socketLink(execId);
    if (!ShimPaths.fitsSocketPath(socketLink.resolve("attach"))) {
      throw new ShimException("attach socket path " + socketLink + "/attach is too long");
    }
    Path dir;
    try {
      dir = execDirs.create(id, execId);
      Files.writeString(dir.resolve("process.json"), processJson);
    } catch (IOException e) {
      throw new ShimException("preparing exec in " + id + ": " + e.getMessage(), e);
    }
    Path output = dir.resolve("conmon.out");
    ExecAttachLaunch launch = null;
    AttachConnection connection = null;
    try {
      launch = ExecAttachLaunch.start(commands.execAttached(ociRuntimeOf(id), id, execId, dir, dir.resolve("process.json"), tty, stdin),
          dir, output, json);
      SyncMessage ready = launch.awaitAttachSocket(RUNTIME_TIMEOUT);
      if (ready.failed()) {
        throw new ShimException("exec in " + id + ": " + describeExec(ready, output));
      }
      connection = AttachConnection.connect(socketLink.resolve("attach"));
      launch.startProcess();
      SyncMessage started = launch.next(RUNTIME_TIMEOUT);
      if (started.failed()) {
        throw new ShimException("exec in " + id + ": " + describeExec(started, output));
      }
      log.debug("exec {} in {} attached, pid {}", execId, id, started.data());
      return new AttachedExec(launch, connection, started.data(), dir, execDirs);
    } catch (ShimException | IOException | TimeoutException | InterruptedException | RuntimeException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      String detail = readQuietly(output);
      if (connection != null) {
        connection.shutdown();
        connection.close();
      }
      if (launch != null) {
        launch.close();
      }
      execDirs.release(dir);
      if (e instanceof ShimException shimException) {
        throw shimException;
      }
      throw new ShimException("exec in " + id + ": " + e.getMessage() + detail, e);
    }
  }

  /** Connects to the container's own attach socket (its conmon must have been created with stdio to attach to). */
  public AttachConnection attach(String id) throws ShimException {
    try {
      return AttachConnection.connect(paths.attachSocket(ShimPaths.checkId(id)));
    } catch (IOException e) {
      throw new ShimException("attaching to " + id + ": " + e.getMessage(), e);
    }
  }

  private static String describeExec(SyncMessage reply, Path output) {
    String message = reply.message() == null ? "" : RuncCli.errorText(reply.message());
    return message.isEmpty() ? "conmon reported " + reply.data() + readQuietly(output) : message;
  }

  private static void killTree(long pid) {
    ProcessHandle.of(pid).ifPresent(process -> {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    });
  }

  /** Asks conmon to reopen the container log (after the kubelet rotated it). */
  public void reopenLog(String id) throws ShimException {
    writeControl(id, "2 0 0\n");
  }

  /** Resizes the container's terminal. */
  public void resize(String id, int height, int width) throws ShimException {
    if (height < 0 || width < 0) {
      throw new IllegalArgumentException("terminal size must not be negative: " + height + "x" + width);
    }
    writeControl(id, "1 " + height + " " + width + "\n");
  }

  private void writeControl(String id, String message) throws ShimException {
    Path bundle = bundleOf(ShimPaths.checkId(id))
        .orElseThrow(() -> new ShimException("no shim files for container " + id));
    Path ctl = bundle.resolve("ctl");
    try {
      if (!Libc.writeToFifo(ctl, message.getBytes(StandardCharsets.US_ASCII))) {
        throw new ShimException("conmon for " + id + " is not running (nobody reads " + ctl + ")");
      }
    } catch (IOException e) {
      throw new ShimException("writing to conmon's control FIFO " + ctl + ": " + e.getMessage(), e);
    }
  }

  public void pause(String id) throws ShimException {
    check(runtime(ShimPaths.checkId(id), "pause", id));
  }

  public void resume(String id) throws ShimException {
    check(runtime(ShimPaths.checkId(id), "resume", id));
  }

  /**
   * Dumps the container's processes with CRIU into {@code imageDir} ({@code runtime checkpoint});
   * with {@code leaveRunning} they continue afterwards. runc freezes the container while CRIU dumps.
   */
  public void checkpoint(String id, Path imageDir, Path workDir, boolean leaveRunning) throws ShimException {
    ShimPaths.checkId(id);
    List<String> args = new java.util.ArrayList<>(List.of("checkpoint", "--image-path", imageDir.toString(),
        "--work-path", workDir.toString()));
    if (leaveRunning) {
      args.add("--leave-running");
    }
    args.add(id);
    check(runtime(id, args.toArray(String[]::new)));
  }

  /** Applies an OCI {@code linux.resources} object to the running container ({@code runtime update -r -}). */
  public void updateResources(String id, String linuxResourcesJson) throws ShimException {
    ShimPaths.checkId(id);
    try {
      check(runtimeOf(id).run(linuxResourcesJson.getBytes(StandardCharsets.UTF_8), "update", "-r", "-", id));
    } catch (IOException e) {
      throw new ShimException("runtime update " + id + ": " + e.getMessage(), e);
    }
  }

  /** The container's attach socket ({@code SOCK_SEQPACKET}). */
  public Path attachSocket(String id) {
    return paths.attachSocket(id);
  }

  /** The pid conmon wrote to its {@code -P} pid file, if there is one (it may be long dead). */
  public Optional<Long> shimPid(String id) {
    return ProcFs.readPid(paths.conmonPidFile(id));
  }

  /** Whether the container's conmon (from its {@code -P} pid file) is still alive. */
  public boolean isShimAlive(String id) {
    return liveness.isAlive(id, paths.conmonPidFile(id));
  }

  /** Reports every exit file conmon writes from now on. Close the watcher to stop. */
  public ExitWatcher watchExits(BiConsumer<String, ExitRecord> onExit) {
    try {
      return new ExitWatcher(config.exitDir(), onExit);
    } catch (IOException e) {
      throw new UncheckedIOException("watching " + config.exitDir(), e);
    }
  }

  private Optional<Path> bundleOf(String id) {
    try {
      return Optional.of(Files.readSymbolicLink(paths.bundleLink(id)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private RuncCli.Result runtime(String id, String... args) throws ShimException {
    try {
      return runtimeOf(id).run(args);
    } catch (IOException e) {
      throw new ShimException("runtime " + args[0] + " " + id + ": " + e.getMessage(), e);
    }
  }

  private static void check(RuncCli.Result result) throws ShimException {
    if (!result.ok()) {
      throw new ShimException(result.describe());
    }
  }

  private static String readQuietly(Path file) {
    try {
      String text = Files.readString(file).strip();
      return text.isEmpty() ? "" : " (conmon: " + text + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** Polls every 10 ms until {@code running} says no, for up to {@link #SHIM_EXIT_WAIT}; whether it did. */
  private static boolean awaitEnd(java.util.function.BooleanSupplier running) {
    long deadline = System.nanoTime() + SHIM_EXIT_WAIT.toNanos();
    while (running.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      sleep(Duration.ofMillis(10));
    }
    return true;
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
