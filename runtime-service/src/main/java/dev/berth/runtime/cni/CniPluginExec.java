package dev.berth.runtime.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.linux.ChildProcess;
import dev.berth.linux.PosixSpawn;
import dev.berth.linux.SpawnRequest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one CNI plugin executable once, as the CNI spec's exec protocol says: the command and the
 * attachment in {@code CNI_*} environment variables, the network config on stdin, the result (or
 * an error object) on stdout. A plugin that outlives the timeout is killed with its children.
 * Plugins are started with {@code posix_spawn} ({@link PosixSpawn#start}): one exec per plugin
 * where {@link ProcessBuilder} made two (its {@code jspawnhelper} first), and no JDK reaper
 * thread per plugin; bridge and portmap run on every pod's start.
 */
public final class CniPluginExec {

  private static final Logger log = LoggerFactory.getLogger(CniPluginExec.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Plugins call iptables, ip and friends by name; a daemon started with a bare PATH must still find them. */
  private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** How long to wait for a killed plugin to be reaped. */
  private static final Duration DRAIN = Duration.ofSeconds(2);
  /** The daemon's own directory, where ProcessBuilder left the plugins (the CNI spec names none). */
  private static final Path WORK_DIR = Path.of("").toAbsolutePath();
  private static final int MAX_DIAGNOSTIC_CHARS = 2000;

  /** The per-call part of the environment. */
  public record Invocation(String command, String containerId, String netns, String ifName, String args) {}

  private final List<Path> binDirs;
  private final Duration timeout;

  public CniPluginExec(List<Path> binDirs, Duration timeout) {
    this.binDirs = List.copyOf(binDirs);
    this.timeout = timeout;
  }

  /**
   * @return the plugin's parsed stdout, or null when it wrote nothing (DEL, and some chained ADDs)
   * @throws CniException naming the plugin when it is missing, fails, hangs or writes garbage
   */
  public JsonNode run(String type, Invocation invocation, JsonNode config) throws CniException {
    Path executable = find(type);
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(key -> key.startsWith("CNI_"));
    env.put("CNI_COMMAND", invocation.command());
    env.put("CNI_CONTAINERID", invocation.containerId());
    env.put("CNI_NETNS", invocation.netns());
    env.put("CNI_IFNAME", invocation.ifName());
    env.put("CNI_ARGS", invocation.args());
    env.put("CNI_PATH", binDirs.stream().map(Path::toString).collect(Collectors.joining(":")));
    String path = env.get("PATH");
    env.put("PATH", path == null || path.isBlank() ? DEFAULT_PATH : path + ":" + DEFAULT_PATH);

    long started = System.nanoTime();
    ChildProcess process;
    try {
      // posix_spawn with the config on a stdin pipe; the shared waiter drains stdout and stderr, so
      // a plugin blocked writing one never stalls the other, and no thread is held per plugin.
      process = PosixSpawn.start(new SpawnRequest(List.of(executable.toString()), env, WORK_DIR, List.of()),
          config.toString().getBytes(StandardCharsets.UTF_8), true);
    } catch (IOException e) {
      throw new CniException(type, CniException.NO_CODE, e.getMessage(), "");
    }
    ChildProcess.Exit exit;
    try {
      Optional<ChildProcess.Exit> ended = process.await(timeout);
      if (ended.isEmpty()) {
        kill(process);
        throw new CniException(type, CniException.NO_CODE,
            invocation.command() + " did not finish within " + timeout.toMillis() + " ms and was killed", "");
      }
      exit = ended.get();
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new CniException("interrupted while running CNI plugin " + type,
          new InterruptedIOException(e.getMessage()));
    }
    String out = exit.stdoutText();
    String err = exit.stderrText();
    int status = exit.exitCode();
    log.debug("CNI {} {} for {} exited {} in {} ms", invocation.command(), type, invocation.containerId(),
        status, (System.nanoTime() - started) / 1_000_000);
    if (status != 0) {
      throw pluginError(type, status, out, err);
    }
    if (out.isBlank()) {
      return null;
    }
    try {
      return JSON.readTree(out);
    } catch (JsonProcessingException e) {
      throw new CniException(type, CniException.NO_CODE, "wrote a result that is not JSON: " + clip(out), "");
    }
  }

  Path find(String type) throws CniException {
    // A type is a bare file name; anything with a separator would escape the plugin directories.
    if (!type.isEmpty() && !type.contains("/") && !type.equals(".") && !type.equals("..")) {
      for (Path dir : binDirs) {
        Path candidate = dir.resolve(type);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    throw new CniException(type, CniException.NO_CODE, "plugin \"" + type + "\" not found in " + binDirs, "");
  }

  /** The spec's error object is {code, msg, details} on stdout; older plugins may only use stderr. */
  private static CniException pluginError(String type, int status, String out, String err) {
    try {
      JsonNode error = out.isBlank() ? null : JSON.readTree(out);
      if (error != null && error.hasNonNull("msg")) {
        return new CniException(type, error.path("code").asInt(CniException.NO_CODE),
            error.path("msg").asText(), error.path("details").asText(""));
      }
    } catch (JsonProcessingException e) {
      // Not an error object: fall through to the raw output.
    }
    String said = !err.isBlank() ? err : out;
    return new CniException(type, CniException.NO_CODE,
        "exit status " + status + (said.isBlank() ? "" : ": " + clip(said.strip())), "");
  }

  /** The plugin's own children first (an iptables it started, say), then the plugin; waits a little for the reap. */
  private static void kill(ChildProcess process) {
    ProcessHandle.of(process.pid()).ifPresent(handle -> handle.descendants().forEach(ProcessHandle::destroyForcibly));
    process.kill();
    try {
      process.await(DRAIN);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String clip(String text) {
    return text.length() <= MAX_DIAGNOSTIC_CHARS ? text : text.substring(0, MAX_DIAGNOSTIC_CHARS) + "...";
  }
}
