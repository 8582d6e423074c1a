package dev.berth.runtime.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * Real programs that stall at one chosen point so a test can kill the daemon there: a wrapper
 * around runc (the daemon's oci_runtime) that holds {@code runc create}, {@code runc start} or
 * {@code runc run},
 * and a CNI plugin chained after the bridge that holds ADD or DEL. A point stalls once, when
 * armed: the program writes the object's id and the pid of its {@code sleep}, marks the point
 * reached and waits; {@link #release} ends the sleep and waits until the program has finished
 * what it was doing (the real runc call, or passing the result on), as it would have after a
 * slow step. The plugin can also fail a command ({@link #failEvery}) until told to stop, as a
 * broken plugin would.
 */
public final class StallPoints implements AutoCloseable {

  public static final String RUNC_CREATE = "runc-create";
  public static final String RUNC_START = "runc-start";
  /** {@code runc run --detach}: a pod's infra, run without a conmon. */
  public static final String RUNC_RUN = "runc-run";
  public static final String CNI_ADD = "cni-ADD";
  public static final String CNI_DEL = "cni-DEL";

  private static final String PLUGIN = "berth-stall";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final Path dir;

  private StallPoints(Path dir) {
    this.dir = dir;
  }

  /** Writes the wrapper and the plugin into a fresh directory of their own. */
  public static StallPoints create() throws IOException {
    StallPoints points = new StallPoints(ShortTempDirs.create());
    points.writeRuncWrapper();
    points.writePlugin();
    return points;
  }

  /**
   * The runc wrapper; named runc so that the runtime handler stays "runc". It does not say it is
   * runc in its {@code features} (it renames runc's version annotation), so the daemon starts
   * containers with {@code runc start}, through the wrapper, rather than through runc's exec
   * FIFO, which no program stands in the way of: {@link #RUNC_START} can stall.
   */
  public Path runc() {
    return dir.resolve("bin").resolve("runc");
  }

  public Path cniBinDir() {
    return dir.resolve("cni-bin");
  }

  /** The [cni] and [runtime] config lines that put both programs in the daemon's way. */
  public String cniConfigLines() {
    return "bin_dirs = [\"%s\", \"%s\"]".formatted(cniBinDir(), HostPrograms.cniPluginDir());
  }

  public String runtimeConfigLines() {
    return "oci_runtime = \"%s\"".formatted(runc());
  }

  /** Chains the stalling plugin right after the first plugin (the bridge) of a conflist. */
  public void chainInto(Path conflist) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(conflist.toFile());
    ArrayNode plugins = (ArrayNode) config.get("plugins");
    plugins.insertObject(1).put("type", PLUGIN);
    Files.write(conflist, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
  }

  /** The next time the program reaches {@code point}, it stalls there. */
  public void arm(String point) throws IOException {
    for (String suffix : new String[] {".reached", ".done", ".pid", ".id"}) {
      Files.deleteIfExists(dir.resolve(point + suffix));
    }
    Files.writeString(dir.resolve(point + ".armed"), "");
  }

  /** From now on the plugin fails {@code point} (CNI_ADD or CNI_DEL) with a CNI error, until {@link #stopFailing}. */
  public void failEvery(String point) throws IOException {
    Files.writeString(dir.resolve(point + ".failing"), "");
  }

  public void stopFailing(String point) throws IOException {
    Files.deleteIfExists(dir.resolve(point + ".failing"));
  }

  /** Waits until the point is reached and returns the id of the object it was working on. */
  public String awaitReached(String point) throws Exception {
    await(dir.resolve(point + ".reached"), point + " reached");
    return Files.readString(dir.resolve(point + ".id")).strip();
  }

  /** Ends the stall and waits until the program has finished the step it held. */
  public void release(String point) throws Exception {
    long pid = Long.parseLong(Files.readString(dir.resolve(point + ".pid")).strip());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await(dir.resolve(point + ".done"), point + " done after release");
  }

  /**
   * Ends the stall's sleep without waiting for the step it held: for a program that was itself
   * ended while it stalled (by a daemon that found its run unfinished), whose sleep it left.
   */
  public void abandon(String point) throws IOException {
    long pid = Long.parseLong(Files.readString(dir.resolve(point + ".pid")).strip());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }

  /** Deletes the programs and markers (after the daemon that used them has stopped). */
  @Override
  public void close() throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static void await(Path marker, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Files.exists(marker)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + WAIT);
      }
      Thread.sleep(20);
    }
  }

  private void writeRuncWrapper() throws IOException {
    // The sleep runs in the background so its own pid can be written down and killed alone. The
    // shell reports the killed sleep on stderr: to a daemon that is gone that would be SIGPIPE.
    writeScript(runc(), """
        #!/bin/sh
        dir=%s
        sub=
        for arg in "$@"; do
          case "$arg" in create|start|run) sub=$arg; break ;; esac
        done
        if [ "$1" = features ]; then
          %s features | sed 's/"org.opencontainers.runc.version"/"stall-wrapper.wrapped-runc.version"/'
          exit
        fi
        if [ -n "$sub" ] && [ -e "$dir/runc-$sub.armed" ]; then
          rm -f "$dir/runc-$sub.armed"
          eval "id=\\${$#}"
          printf '%%s' "$id" > "$dir/runc-$sub.id"
          /usr/bin/sleep 60 &
          echo $! > "$dir/runc-$sub.pid"
          : > "$dir/runc-$sub.reached"
          wait $! 2>/dev/null
          %s "$@"
          rc=$?
          : > "$dir/runc-$sub.done"
          exit $rc
        fi
        exec %s "$@"
        """.formatted(dir, HostPrograms.runc(), HostPrograms.runc(), HostPrograms.runc()));
  }

  private void writePlugin() throws IOException {
    // The done marker comes before the result: a caller that was killed closed the pipe, and the
    // write that follows may end this script with SIGPIPE.
    writeScript(cniBinDir().resolve(PLUGIN), """
        #!/bin/sh
        dir=%s
        conf=$(cat)
        point="$dir/cni-$CNI_COMMAND"
        stalled=
        if [ -e "$point.armed" ]; then
          rm -f "$point.armed"
          printf '%%s' "$CNI_CONTAINERID" > "$point.id"
          /usr/bin/sleep 60 &
          echo $! > "$point.pid"
          : > "$point.reached"
          wait $! 2>/dev/null
          stalled=1
        fi
        [ -n "$stalled" ] && : > "$point.done"
        if [ -e "$point.failing" ]; then
          printf '{"cniVersion":"1.0.0","code":999,"msg":"berth-stall fails %%s as told"}' "$CNI_COMMAND"
          exit 1
        fi
        case "$CNI_COMMAND" in
          ADD) printf '%%s' "$conf" | /usr/bin/jq -c '.prevResult // {cniVersion: .cniVersion}' ;;
          VERSION) printf '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}' ;;
        esac
        exit 0
        """.formatted(dir));
  }

  private static void writeScript(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
