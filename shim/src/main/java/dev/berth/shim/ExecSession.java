package dev.berth.shim;

import java.util.concurrent.CompletableFuture;

/**
 * A process run in a container through its own conmon with the caller attached to its stdio;
 * see {@link ConmonShim#execAttached}. The process was started only after {@link #connection()}
 * was connected, so no output is lost.
 */
public interface ExecSession extends AutoCloseable {
  /** The exec'd process in the host's pid namespace. */
  long pid();

  AttachConnection connection();

  /** Completes with the process's exit status (128+signal when killed), or exceptionally when conmon failed. */
  CompletableFuture<Integer> exitCode();

  /** Resizes the exec's terminal; ignored without one. */
  void resize(int height, int width) throws ShimException;

  /** Kills the process and its descendants if it is still running. */
  void kill();

  /** Kills the process if still running, closes the connection and removes the exec's files. */
  @Override
  void close();
}
