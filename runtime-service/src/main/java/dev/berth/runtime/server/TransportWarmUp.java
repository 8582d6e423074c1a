package dev.berth.runtime.server;

import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.VersionRequest;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Version call through a throwaway CRI server on a private socket, made while a fresh daemon
 * is still reading its stores, so that the CRI socket's first client does not pay for the
 * transport's first connection: Netty's HTTP/2 codec and gRPC's server transport are in the AOT
 * cache but are initialised (and their code first run) at the first connection, ~370 classes
 * (bench/README.md, 2026-12-07 13:40). The client side is a JDK socket channel writing the
 * frames of a Version call by hand (HTTP/2 preface, SETTINGS, HEADERS, DATA): a gRPC client here
 * would load a few hundred classes the daemon never uses again.
 */
final class TransportWarmUp {

  private static final Logger log = LoggerFactory.getLogger(TransportWarmUp.class);

  /** How long the call may take before the warm-up gives up (a loaded node, not a hung server). */
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int DATA = 0x0;
  private static final int HEADERS = 0x1;
  private static final int SETTINGS = 0x4;
  private static final int FLAG_END_STREAM = 0x1;
  private static final int FLAG_ACK = 0x1;
  private static final int FLAG_END_HEADERS = 0x4;
  private static final int STREAM = 1;

  private TransportWarmUp() {
  }

  /** {@link #run(Path)} below {@code java.io.tmpdir}. */
  static boolean run() {
    return run(Path.of(System.getProperty("java.io.tmpdir")));
  }

  /**
   * Serves one Version call to itself through {@link CriServer} on a socket in a new private
   * directory below {@code parent}, then stops that server and removes the directory. Returns
   * whether the call was answered; failures are logged at debug and otherwise ignored: the real
   * first client pays instead.
   */
  static boolean run(Path parent) {
    Path dir = null;
    Path socket = null;
    CriServer server = null;
    try {
      dir = Files.createTempDirectory(parent, "berth-warm-up");
      socket = dir.resolve("cri.sock");
      server = CriServer.start(socket, new StartupGate(List.of(), List.of(Daemon.versionWhileStarting())),
          List.of());
      boolean answered = callVersion(socket);
      log.debug("transport warm-up: Version {}", answered ? "answered" : "not answered to the end");
      return answered;
    } catch (IOException | RuntimeException e) {
      log.debug("transport warm-up failed: {}", e.toString());
      return false;
    } finally {
      if (server != null) {
        try {
          server.stop(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      try {
        if (socket != null) {
          Files.deleteIfExists(socket);
        }
        if (dir != null) {
          Files.deleteIfExists(dir);
        }
      } catch (IOException e) {
        log.debug("transport warm-up left {}: {}", dir, e.toString());
      }
    }
  }

  /** Returns whether the answer's stream ended (trailers seen) before the deadline. */
  static boolean callVersion(Path socket) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      // Reads block; a virtual thread closes the channel at the deadline, which ends a read.
      Thread deadline = Thread.ofVirtual().start(() -> {
        try {
          Thread.sleep(DEADLINE);
          channel.close();
        } catch (InterruptedException | IOException e) {
          // Done in time, or closed already.
        }
      });
      try {
        writeFully(channel, request());
        return readUntilStreamEnds(channel);
      } finally {
        deadline.interrupt();
      }
    }
  }

  /** The client preface, an empty SETTINGS, and Version's HEADERS and DATA on stream 1. */
  private static ByteBuffer request() {
    byte[] headerBlock = headerBlock("/" + RuntimeServiceGrpc.getVersionMethod().getFullMethodName());
    byte[] message = VersionRequest.newBuilder().setVersion("v1").build().toByteArray();
    ByteBuffer buffer = ByteBuffer.allocate(PREFACE.length + 9 + 9 + headerBlock.length + 9 + 5 + message.length);
    buffer.put(PREFACE);
    frameHeader(buffer, 0, SETTINGS, 0, 0);
    frameHeader(buffer, headerBlock.length, HEADERS, FLAG_END_HEADERS, STREAM);
    buffer.put(headerBlock);
    // gRPC's length-prefixed message: not compressed, then the length.
    frameHeader(buffer, 5 + message.length, DATA, FLAG_END_STREAM, STREAM);
    buffer.put((byte) 0).putInt(message.length).put(message);
    return buffer.flip();
  }

  /**
   * An HPACK block without Huffman coding: :method POST and :scheme http from the static table,
   * then :path, :authority and content-type as literals with an indexed name, te as a literal
   * with a new name (RFC 7541, appendix A for the indexes).
   */
  private static byte[] headerBlock(String path) {
    ByteBuffer block = ByteBuffer.allocate(256);
    block.put((byte) 0x83).put((byte) 0x86);
    literal(block, 0x44, path);
    literal(block, 0x41, "localhost");
    literal(block, 0x5f, "application/grpc");
    block.put((byte) 0x40);
    string(block, "te");
    string(block, "trailers");
    byte[] bytes = new byte[block.position()];
    block.flip().get(bytes);
    return bytes;
  }

  private static void literal(ByteBuffer block, int indexedName, String value) {
    block.put((byte) indexedName);
    string(block, value);
  }

  /** A string of at most 126 bytes: its length fits the 7-bit prefix. */
  private static void string(ByteBuffer block, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length > 126) {
      throw new IllegalArgumentException("header value too long for a one-byte length: " + value);
    }
    block.put((byte) bytes.length).put(bytes);
  }

  private static void frameHeader(ByteBuffer buffer, int length, int type, int flags, int stream) {
    buffer.put((byte) (length >>> 16)).put((byte) (length >>> 8)).put((byte) length);
    buffer.put((byte) type).put((byte) flags).putInt(stream);
  }

  /** Reads frames, acknowledging the server's SETTINGS, until a frame of stream 1 ends it. */
  private static boolean readUntilStreamEnds(SocketChannel channel) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(9);
    while (true) {
      header.clear();
      if (!readFully(channel, header)) {
        return false;
      }
      header.flip();
      int length = ((header.get() & 0xff) << 16) | ((header.get() & 0xff) << 8) | (header.get() & 0xff);
      int type = header.get() & 0xff;
      int flags = header.get() & 0xff;
      int stream = header.getInt() & 0x7fffffff;
      if (!readFully(channel, ByteBuffer.allocate(length))) {
        return false;
      }
      if (type == SETTINGS && (flags & FLAG_ACK) == 0) {
        ByteBuffer ack = ByteBuffer.allocate(9);
        frameHeader(ack, 0, SETTINGS, FLAG_ACK, 0);
        writeFully(channel, ack.flip());
      }
      if (stream == STREAM && (type == HEADERS || type == DATA) && (flags & FLAG_END_STREAM) != 0) {
        return true;
      }
    }
  }

  private static boolean readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        return false;
      }
    }
    return true;
  }

  private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
