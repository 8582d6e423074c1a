package dev.berth.shim;

/**
 * A create under way whose bundle the caller is still making ({@link OciRuntime#beginCreate}):
 * {@link #finish} runs the runtime once the bundle is complete; closing it unfinished undoes what
 * the shim began, and closing it after a finish does nothing more.
 */
public interface PendingCreate extends AutoCloseable {

  /** Runs the runtime's create on the now complete bundle; returns once the container exists. */
  CreatedProcess finish() throws ShimException;

  @Override
  void close();
}
