package dev.berth.shim;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What the container manager asks of an OCI runtime and the shim in front of it, one container
 * at a time: the lifecycle (create or restore, start, kill, delete, pause and resume, state),
 * execs, live resource updates, checkpoints, and the shim's record of each container (exit, OOM,
 * stdio, log). {@link ConmonShim} is the implementation: one conmon per container process with
 * runc or crun below it. Managers depend on this interface, so they can be tested with a fake.
 */
public interface OciRuntime {

  /** Creates the container from its bundle (or restores it with CRIU); returns once it exists, not started. */
  CreatedProcess create(CreateRequest request) throws ShimException;

  /**
   * Begins a create before its bundle is complete, so the shim's own start-up runs beside the
   * caller's rootfs mount and bundle; the runtime runs at {@link PendingCreate#finish}. Here nothing
   * begins before the finish, which is {@link #create}.
   */
  default PendingCreate beginCreate(CreateRequest request) throws ShimException {
    return new PendingCreate() {
      @Override
      public CreatedProcess finish() throws ShimException {
        return create(request);
      }

      @Override
      public void close() {
      }
    };
  }

  void start(String id) throws ShimException;

  /** Signals the container's init, or every process in it; a container that is already gone is not an error. */
  void kill(String id, int signal, boolean all) throws ShimException;

  /** Force-deletes the container and what the shim kept for it; deleting an unknown id succeeds. */
  void delete(String id) throws ShimException;

  void pause(String id) throws ShimException;

  void resume(String id) throws ShimException;

  /** The runtime's view of the container; empty when the runtime does not know the id. */
  Optional<RuntimeState> state(String id) throws ShimException;

  /** Runs an OCI "process" object in the container and waits for it, killing it after {@code timeout}. */
  ExecResult execSync(String id, String processJson, Duration timeout) throws ShimException;

  /** Starts an OCI "process" object in the container with the caller attached to its stdio. */
  ExecSession execAttached(String id, String processJson, boolean tty, boolean stdin) throws ShimException;

  /** Applies an OCI {@code linux.resources} object to the running container. */
  void updateResources(String id, String linuxResourcesJson) throws ShimException;

  /** Dumps the container's processes with CRIU into {@code imageDir}; with {@code leaveRunning} they go on. */
  void checkpoint(String id, Path imageDir, Path workDir, boolean leaveRunning) throws ShimException;

  /** The container's exit code and time, once it has exited. */
  Optional<ExitRecord> exit(String id);

  /** Whether the kernel's OOM killer acted in the container's cgroup. */
  boolean oomKilled(String id);

  /** Connects to the container's own stdio (it was created with stdin or a terminal to attach to). */
  AttachConnection attach(String id) throws ShimException;

  void resize(String id, int height, int width) throws ShimException;

  /** Reopens the container's log by its path (after the kubelet rotated it). */
  void reopenLog(String id) throws ShimException;

  /** The pid of the container's shim, if one was recorded (it may be long dead). */
  Optional<Long> shimPid(String id);

  boolean isShimAlive(String id);
}
