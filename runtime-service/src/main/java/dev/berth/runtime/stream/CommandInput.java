package dev.berth.runtime.stream;

/**
 * The process side of a remote command (exec or attach), as the protocol handlers see it. Called
 * on the connection's event loop: implementations must not block.
 */
public interface CommandInput {
  void stdin(byte[] data);

  /** The client closed its stdin stream. */
  void stdinClosed();

  void resize(TerminalSize size);

  /** The connection is gone: release everything. */
  void clientGone();
}
