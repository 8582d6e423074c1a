package dev.berth.runtime.stream;

import io.netty.buffer.ByteBuf;

/**
 * The port side of one forwarded connection, as a port forward protocol handler drives it.
 * Calls come on the client connection's event loop and must not block.
 *
 * <p>Flow control follows the pod: bytes written here count as waiting until the port's socket
 * has taken them ({@link Client#consumed}); while too many wait, {@link #writable} is false and
 * the protocol handler stops reading from its client. The other way, the port is read only while
 * the client's connection takes what it is sent ({@link #readFromPort}).
 */
interface PortConnection {
  /** Bytes that may wait for the port's socket before the client is held back. */
  int MAX_WAITING_BYTES = 256 * 1024;

  /** Sends {@code data} (whose ownership passes here) to the port. */
  void write(ByteBuf data);

  /** False while {@link #MAX_WAITING_BYTES} or more wait for the port's socket. */
  boolean writable();

  /** Whether to read from the port: false while the client's connection cannot take more. */
  void readFromPort(boolean read);

  /** The client sent all it will: the port sees end of stream. */
  void closeInput();

  /** The client is gone: end the connection. */
  void close();

  /** What the port side tells the protocol handler, on the client connection's event loop. */
  interface Client {
    /** Bytes from the port; ownership passes to the client. */
    void data(ByteBuf bytes);

    /** The port's socket took {@code bytes} more of what the client sent. */
    void consumed(int bytes);

    /** No more data from the port. */
    void end();

    void error(String message);
  }

  /** Opens a connection to a pod's port; the client hears of its data, end and errors. */
  @FunctionalInterface
  interface Opener {
    PortConnection open(int port, Client client);
  }
}
