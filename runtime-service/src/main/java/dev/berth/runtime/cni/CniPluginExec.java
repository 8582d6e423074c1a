package dev.berth.runtime.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one CNI plugin executable once, as the CNI spec's exec protocol says: the command and the
 * attachment in {@code CNI_*} environment variables, the network config on stdin, the result (or
 * an error object) on stdout. A plugin that outlives the timeout is killed with its children.
 */
public final class CniPluginExec {

  private static final Logger log = LoggerFactory.getLogger(CniPluginExec.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Plugins call iptables, ip and friends by name; a daemon started with a bare PATH must still find them. */
  private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** How long to wait for the pipes to drain once the plugin has exited or been killed. */
  private static final Duration DRAIN = Duration.ofSeconds(2);
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
    ProcessBuilder builder = new ProcessBuilder(executable.toString());
    Map<String, String> env = builder.environment();
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
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new CniException(type, CniException.NO_CODE, "cannot start " + executable + ": " + e.getMessage(), "");
    }
    // Three pipes, three threads: a plugin blocked writing stderr must never stall its stdin or stdout.
    byte[] stdin = config.toString().getBytes(StandardCharsets.UTF_8);
    Thread writer = Thread.ofVirtual().start(() -> write(process.getOutputStream(), stdin));
    Drain stdout = Drain.start(process.getInputStream());
    Drain stderr = Drain.start(process.getErrorStream());
    String out;
    String err;
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(process);
        throw new CniException(type, CniException.NO_CODE,
            invocation.command() + " did not finish within " + timeout.toMillis() + " ms and was killed", "");
      }
      writer.join(DRAIN);
      out = stdout.text();
      err = stderr.text();
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new CniException("interrupted while running CNI plugin " + type,
          new InterruptedIOException(e.getMessage()));
    }
    int status = process.exitValue();
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

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(DRAIN.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void write(OutputStream stream, byte[] bytes) {
    try (stream) {
      stream.write(bytes);
    } catch (IOException e) {
      // The plugin exited without reading its config; its exit status tells the story.
    }
  }

  private static String clip(String text) {
    return text.length() <= MAX_DIAGNOSTIC_CHARS ? text : text.substring(0, MAX_DIAGNOSTIC_CHARS) + "...";
  }

  /** Reads one pipe to the end on a virtual thread. */
  private static final class Drain {
    private final Thread thread;
    private volatile byte[] bytes = new byte[0];

    private Drain(InputStream stream) {
      this.thread = Thread.ofVirtual().unstarted(() -> {
        try (stream) {
          bytes = stream.readAllBytes();
        } catch (IOException e) {
          // Pipe closed under us when the plugin was killed: keep what we have.
        }
      });
    }

    static Drain start(InputStream stream) {
      Drain drain = new Drain(stream);
      drain.thread.start();
      return drain;
    }

    /** A grandchild still holding the pipe open must not hang us: wait a little, then give up. */
    String text() throws InterruptedException {
      thread.join(DRAIN);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }
}
