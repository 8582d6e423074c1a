package dev.berth.shim;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the shim finds its binaries and keeps its files.
 *
 * @param conmon      the conmon binary
 * @param runtime     the OCI runtime binary (runc or crun)
 * @param runtimeRoot the runtime's state directory, passed as {@code --root}
 * @param exitDir     conmon writes one exit file per container here, named by the container id
 * @param persistDir  one directory per container: conmon and container pid files, exit and oom files;
 *                    and one per running exec, {@code <container id>.exec-<exec id>}
 * @param socketDir   attach sockets live at {@code <socketDir>/<id>/attach}; keep this path short
 *                    because a unix socket path is limited to 107 bytes
 * @param handlers    the other runtime handlers a container may be created with, besides the
 *                    default {@code ""} that {@code runtime} and {@code runtimeRoot} describe
 * @param criu        the CRIU binary the runtime runs for checkpoint and restore; {@code null}
 *                    leaves the runtime to find {@code criu} on its PATH
 */
public record ShimConfig(Path conmon, Path runtime, Path runtimeRoot, Path exitDir, Path persistDir, Path socketDir,
    List<RuntimeBinary> handlers, Path criu) {

  /** A shim with the default runtime handler only, and the runtime's own CRIU lookup. */
  public ShimConfig(Path conmon, Path runtime, Path runtimeRoot, Path exitDir, Path persistDir, Path socketDir) {
    this(conmon, runtime, runtimeRoot, exitDir, persistDir, socketDir, List.of(), null);
  }

  public ShimConfig {
    handlers = List.copyOf(handlers);
    Objects.requireNonNull(conmon, "conmon");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(runtimeRoot, "runtimeRoot");
    Objects.requireNonNull(exitDir, "exitDir");
    Objects.requireNonNull(persistDir, "persistDir");
    Objects.requireNonNull(socketDir, "socketDir");
  }

  /** The default handler {@code ""}. */
  public RuntimeBinary defaultRuntime() {
    return new RuntimeBinary("", runtime, runtimeRoot);
  }

  /** The runtime of a handler name, {@code ""} being the default; empty for a name not configured. */
  public Optional<RuntimeBinary> runtimeOf(String handler) {
    if (handler.isEmpty()) {
      return Optional.of(defaultRuntime());
    }
    return handlers.stream().filter(h -> h.handler().equals(handler)).findFirst();
  }
}
