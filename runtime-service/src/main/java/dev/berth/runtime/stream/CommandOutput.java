package dev.berth.runtime.stream;

/**
 * The client side of a remote command: what the protocol handlers send. Callable from any thread
 * but the connection's event loop: {@link #stdout} and {@link #stderr} wait while the client
 * reads slower than the process writes.
 */
public interface CommandOutput {
  void stdout(byte[] data);

  void stderr(byte[] data);

  /**
   * Stops ({@code false}) or resumes ({@code true}) reading what the client sends: the process
   * takes its stdin slower than the client writes it.
   */
  void acceptInput(boolean accept);

  /** The command is over: report how and close the connection. Only the first call counts. */
  void finish(CommandResult result);
}
