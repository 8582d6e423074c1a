package dev.berth.runtime.stream;

/** The client side of a remote command: what the protocol handlers send. Callable from any thread. */
public interface CommandOutput {
  void stdout(byte[] data);

  void stderr(byte[] data);

  /** The command is over: report how and close the connection. Only the first call counts. */
  void finish(CommandResult result);
}
