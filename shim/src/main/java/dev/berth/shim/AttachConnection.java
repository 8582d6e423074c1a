package dev.berth.shim;

import dev.berth.shim.internal.SeqPacketSocket;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One client of a conmon attach socket. conmon starts every packet it sends with the stream it
 * came from ({@link #STDOUT} or {@link #STDERR}; a terminal's output is all stdout) and takes
 * every packet it receives as stdin. Receiving blocks: use one platform thread for it.
 */
public final class AttachConnection implements AutoCloseable {
  public static final int STDOUT = 2;
  public static final int STDERR = 3;
  /** conmon sends at most STDIO_BUF_SIZE (8192) bytes plus the stream byte per packet. */
  private static final int PACKET = 8192 + 1;
  /** conmon reads at most CONN_SOCK_BUF_SIZE bytes per packet; stay well below. */
  private static final int STDIN_CHUNK = 8192;

  /** What one packet from conmon carried. */
  public record Output(int stream, byte[] data) {}

  private final SeqPacketSocket socket;
  private final byte[] buffer = new byte[PACKET];

  private AttachConnection(SeqPacketSocket socket) {
    this.socket = socket;
  }

  public static AttachConnection connect(Path attachSocket) throws IOException {
    return new AttachConnection(SeqPacketSocket.connect(attachSocket, PACKET));
  }

  /** The next packet of output, or null at end of stream (conmon went away or the peer was shut down). */
  public Output read() throws IOException {
    while (true) {
      int n = socket.receive(buffer);
      if (n < 0) {
        return null;
      }
      if (n > 1) {
        return new Output(buffer[0], Arrays.copyOfRange(buffer, 1, n));
      }
    }
  }

  public void writeStdin(byte[] data, int offset, int length) throws IOException {
    for (int at = offset; at < offset + length; at += STDIN_CHUNK) {
      socket.send(data, at, Math.min(STDIN_CHUNK, offset + length - at));
    }
  }

  /** conmon closes the process's stdin when its client half-closes (unless told to leave it open). */
  public void closeStdin() {
    socket.shutdownOutput();
  }

  /** Wakes the reader, which then sees end of stream; {@link #close} once it has stopped. */
  public void shutdown() {
    socket.shutdown();
  }

  @Override
  public void close() {
    socket.close();
  }
}
