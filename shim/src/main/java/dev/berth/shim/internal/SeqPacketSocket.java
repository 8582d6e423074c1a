package dev.berth.shim.internal;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A connected {@code AF_UNIX SOCK_SEQPACKET} socket through FFM: the JDK's unix sockets are
 * stream sockets only, and Netty's epoll domain channels are stream sockets too, while conmon's
 * attach socket keeps packet boundaries (each packet it sends starts with its stream byte).
 *
 * <p>Calls block: run {@link #receive} and {@link #send} on platform threads (a virtual thread
 * in a native call pins its carrier). {@link #shutdown} wakes a blocked receive or send, so it
 * never waits for one; {@link #close} frees the fd once no send is in progress.
 */
public final class SeqPacketSocket implements AutoCloseable {
  private static final int AF_UNIX = 1;
  private static final int SOCK_SEQPACKET = 5;
  private static final int SOCK_CLOEXEC = 02000000;
  private static final int SHUT_WR = 1;
  private static final int SHUT_RDWR = 2;
  private static final int EINTR = 4;
  private static final int SUN_PATH = 108;

  private static final StructLayout CALL_STATE = Syscalls.CALL_STATE;
  private static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle CONNECT = downcall("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle SHUTDOWN = downcall("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

  private final int fd;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment readBuffer;
  private final MemorySegment readState;
  private final MemorySegment writeBuffer;
  private final MemorySegment writeState;
  /** One sender at a time: they share the write buffer. */
  private final Object sendLock = new Object();
  /** Shared by send and shutdown, which may overlap; exclusive for close, so the fd is never reused under them. */
  private final ReentrantReadWriteLock fdLock = new ReentrantReadWriteLock();
  private boolean closed;

  private SeqPacketSocket(int fd, int packetSize) {
    this.fd = fd;
    this.readBuffer = arena.allocate(packetSize);
    this.readState = arena.allocate(CALL_STATE);
    this.writeBuffer = arena.allocate(packetSize);
    this.writeState = arena.allocate(CALL_STATE);
  }

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
    return Syscalls.bind(name, descriptor);
  }

  /** Connects to a listening SEQPACKET socket; {@code packetSize} bounds what one receive returns. */
  public static SeqPacketSocket connect(Path path, int packetSize) throws IOException {
    byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
    if (name.length >= SUN_PATH) {
      throw new IOException("socket path too long: " + path);
    }
    try (Arena call = Arena.ofConfined()) {
      MemorySegment state = call.allocate(CALL_STATE);
      int fd = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        throw new IOException("socket(AF_UNIX, SOCK_SEQPACKET): errno " + errno(state));
      }
      MemorySegment address = call.allocate(2 + SUN_PATH);
      address.set(JAVA_SHORT, 0, (short) AF_UNIX);
      MemorySegment.copy(name, 0, address, JAVA_BYTE, 2, name.length);
      int rc;
      do {
        rc = (int) CONNECT.invokeExact(state, fd, address, 2 + name.length + 1);
      } while (rc < 0 && errno(state) == EINTR);
      if (rc < 0) {
        int errno = errno(state);
        int ignored = (int) CLOSE.invokeExact(state, fd);
        throw new IOException("connect " + path + ": errno " + errno);
      }
      return new SeqPacketSocket(fd, packetSize);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("connect " + path, t);
    }
  }

  /**
   * Receives one packet into {@code into}; returns its length, or -1 at end of stream. Only one
   * thread may receive.
   */
  public int receive(byte[] into) throws IOException {
    long n;
    try {
      do {
        n = (long) READ.invokeExact(readState, fd, readBuffer, Math.min(readBuffer.byteSize(), (long) into.length));
      } while (n < 0 && errno(readState) == EINTR);
    } catch (Throwable t) {
      throw new IOException("read attach socket", t);
    }
    if (n < 0) {
      throw new IOException("read attach socket: errno " + errno(readState));
    }
    if (n == 0) {
      return -1;
    }
    MemorySegment.copy(readBuffer, JAVA_BYTE, 0, into, 0, (int) n);
    return (int) n;
  }

  /** Sends {@code length} bytes as one packet; at most the packet size given to {@link #connect}. */
  public void send(byte[] data, int offset, int length) throws IOException {
    synchronized (sendLock) {
      fdLock.readLock().lock();
      try {
        sendLocked(data, offset, length);
      } finally {
        fdLock.readLock().unlock();
      }
    }
  }

  private void sendLocked(byte[] data, int offset, int length) throws IOException {
    if (closed) {
      throw new IOException("attach socket is closed");
    }
    if (length > writeBuffer.byteSize()) {
      throw new IllegalArgumentException("packet of " + length + " bytes exceeds " + writeBuffer.byteSize());
    }
    MemorySegment.copy(data, offset, writeBuffer, JAVA_BYTE, 0, length);
    long n;
    try {
      do {
        n = (long) WRITE.invokeExact(writeState, fd, writeBuffer, (long) length);
      } while (n < 0 && errno(writeState) == EINTR);
    } catch (Throwable t) {
      throw new IOException("write attach socket", t);
    }
    if (n != length) {
      throw new IOException("write attach socket: errno " + errno(writeState));
    }
  }

  /** Half-closes: the peer reads end of stream (conmon then closes the process's stdin). */
  public void shutdownOutput() {
    shutdown(SHUT_WR);
  }

  /** Wakes a blocked {@link #receive}, which then returns end of stream. */
  public void shutdown() {
    shutdown(SHUT_RDWR);
  }

  private void shutdown(int how) {
    fdLock.readLock().lock();
    try {
      if (closed) {
        return;
      }
      try (Arena call = Arena.ofConfined()) {
        int ignored = (int) SHUTDOWN.invokeExact(call.allocate(CALL_STATE), fd, how);
      } catch (Throwable t) {
        // Nothing to do: the fd is still closed by close().
      }
    } finally {
      fdLock.readLock().unlock();
    }
  }

  /** Frees the fd; call once no thread is in {@link #receive} any more. */
  @Override
  public void close() {
    fdLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try (Arena call = Arena.ofConfined()) {
        int ignored = (int) CLOSE.invokeExact(call.allocate(CALL_STATE), fd);
      } catch (Throwable t) {
        // close(2) leaves nothing to retry.
      }
    } finally {
      fdLock.writeLock().unlock();
    }
    arena.close();
  }

  private static int errno(MemorySegment state) {
    return Syscalls.errno(state);
  }
}
