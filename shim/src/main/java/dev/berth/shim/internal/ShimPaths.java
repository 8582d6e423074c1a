package dev.berth.shim.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where each of a container's shim files lives. Ids become path names, so they are checked here,
 * once, before any path is built from them.
 */
public final class ShimPaths {
  /** Letters, digits, '_' and '-': no '/', no "..", and no '.' so conmon's temp files never look like ids. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");
  /** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
  public static final int MAX_SOCKET_PATH = 107;

  private final Path persistDir;
  private final Path exitDir;
  private final Path socketDir;

  /** The shim config's persist, exit and socket dirs (dev.berth.shim.ShimConfig). */
  public ShimPaths(Path persistDir, Path exitDir, Path socketDir) {
    this.persistDir = persistDir;
    this.exitDir = exitDir;
    this.socketDir = socketDir;
  }

  public static String checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("invalid container id: " + id);
    }
    return id;
  }

  /** The shim's own directory for one container; also conmon's persist dir and working directory. */
  public Path containerDir(String id) {
    return persistDir.resolve(checkId(id));
  }

  public Path conmonPidFile(String id) {
    return containerDir(id).resolve("conmon.pid");
  }

  public Path containerPidFile(String id) {
    return containerDir(id).resolve("pid");
  }

  /**
   * For a container run without conmon ({@code run --detach}): its init's pid and start time, so
   * that whether it still runs is read from /proc; present only for such a container.
   */
  public Path detachedFile(String id) {
    return containerDir(id).resolve("detached");
  }

  /** The runtime's stderr while it runs a container without conmon. */
  public Path detachedRunErrors(String id) {
    return containerDir(id).resolve("run.err");
  }

  public Path oomFile(String id) {
    return containerDir(id).resolve("oom");
  }

  public Path persistedExitFile(String id) {
    return containerDir(id).resolve("exit");
  }

  /** What conmon printed before it daemonized (its own errors go here). */
  public Path conmonOutput(String id) {
    return containerDir(id).resolve("conmon.out");
  }

  /** A symlink to the bundle, so that the ctl FIFO can be found after a daemon restart. */
  public Path bundleLink(String id) {
    return containerDir(id).resolve("bundle");
  }

  /** The runtime handler the container was created with; absent for the default handler. */
  public Path runtimeHandlerFile(String id) {
    return containerDir(id).resolve("runtime-handler");
  }

  public Path exitFile(String id) {
    return exitDir.resolve(checkId(id));
  }

  /** conmon makes {@code <socketDir>/<id>} a symlink to the bundle and binds {@code attach} inside it. */
  public Path attachLink(String id) {
    return socketDir.resolve(checkId(id));
  }

  public Path attachSocket(String id) {
    return attachLink(id).resolve("attach");
  }

  public static boolean fitsSocketPath(Path socket) {
    return socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH;
  }
}
