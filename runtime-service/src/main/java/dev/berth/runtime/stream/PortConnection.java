package dev.berth.runtime.stream;

/**
 * The port side of one forwarded connection, as a port forward protocol handler drives it.
 * Calls must not block (they come on the connection's event loop).
 */
interface PortConnection {
  void write(byte[] data);

  /** The client sent all it will: the port sees end of stream. */
  void closeInput();

  /** The client is gone: end the connection. */
  void close();

  /** Opens a connection to a pod's port; the client hears of its data, end and errors. */
  @FunctionalInterface
  interface Opener {
    PortConnection open(int port, PortForwardBridge.Client client);
  }
}
