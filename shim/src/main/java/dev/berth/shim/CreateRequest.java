package dev.berth.shim;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link ConmonShim#create} needs to create one container.
 *
 * @param id        container id, also the name of its exit file and attach socket directory
 * @param bundle    the OCI bundle; the caller has written {@code config.json} into it
 * @param logPath   CRI-format log file written by conmon itself; {@code null} for no log
 * @param stdin     open a stdin pipe that attach clients can write to
 * @param stdinOnce close the container's stdin when the first attach client disconnects
 * @param terminal  allocate a pseudo-terminal
 * @param timeout   how long {@code runtime create} may take; {@code null} means one minute
 * @param runtimeHandler the handler whose OCI runtime creates and then manages the container;
 *                  {@code ""} is the default
 * @param restoreFrom a directory of CRIU images: the container is restored from them ({@code
 *                    runtime restore}, running when create returns) instead of created; {@code null}
 *                    for an ordinary create
 */
public record CreateRequest(String id, Path bundle, Path logPath, boolean stdin, boolean stdinOnce, boolean terminal,
              Duration timeout, String runtimeHandler, Path restoreFrom) {

  /** A container of the default runtime handler. */
  public CreateRequest(String id, Path bundle, Path logPath, boolean stdin, boolean stdinOnce, boolean terminal,
      Duration timeout) {
    this(id, bundle, logPath, stdin, stdinOnce, terminal, timeout, "", null);
  }

  public CreateRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(runtimeHandler, "runtimeHandler");
    Objects.requireNonNull(bundle, "bundle");
    if (timeout == null) {
      timeout = Duration.ofMinutes(1);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("create timeout must be positive: " + timeout);
    }
  }

  /** A non-interactive container, the common case. */
  public static CreateRequest of(String id, Path bundle, Path logPath) {
    return new CreateRequest(id, bundle, logPath, false, false, false, null);
  }
}
