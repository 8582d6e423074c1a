package dev.berth.shim.internal;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The few libc calls the JDK has no API for: making a FIFO, opening one for writing without
 * blocking (a plain open would hang forever when conmon, the reader, is gone), holding the
 * daemon's ends of conmon's FIFOs as raw fds, which the JDK cannot open without blocking, and
 * waiting on one with a timeout (runc's exec FIFO, {@link ExecFifo}). Bound
 * through {@link Syscalls}, Berth's one libc binding.
 */
public final class Libc {
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 01;
  private static final int O_RDWR = 02;
  private static final int O_NONBLOCK = 04000;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  private static final int O_CLOEXEC = 02000000;
  private static final int ENXIO = 6;
  private static final int EINTR = 4;
  /** poll(2)'s event asked for: data to read (every writer gone, POLLHUP, is reported unasked). */
  private static final int POLLIN = 0x1;

  private static final MethodHandle MKFIFO = Syscalls.bind("mkfifo",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle OPEN = Syscalls.bind("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
  private static final MethodHandle WRITE = Syscalls.bind("write",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle READ = Syscalls.bind("read",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  // fcntl is variadic: its third argument must be passed as one.
  private static final MethodHandle FCNTL = Syscalls.bind("fcntl",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));

  private static final MethodHandle POLL = Syscalls.bind("poll",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

  private Libc() {
  }

  /** Creates a named pipe readable and writable by the owner only. */
  public static void mkfifo(Path path) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int rc = (int) MKFIFO.invokeExact(state, arena.allocateFrom(path.toString()), 0600);
      if (rc != 0) {
        throw new IOException("mkfifo " + path + ": errno " + errno(state));
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("mkfifo " + path, t);
    }
  }

  /**
   * Writes a short message into a FIFO whose reader must already be there.
   *
   * @return false when nobody has the FIFO open for reading (ENXIO)
   */
  public static boolean writeToFifo(Path path, byte[] message) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()),
          O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        int errno = errno(state);
        if (errno == ENXIO) {
          return false;
        }
        throw new IOException("open " + path + ": errno " + errno);
      }
      try {
        MemorySegment buffer = arena.allocate(message.length);
        MemorySegment.copy(message, 0, buffer, JAVA_BYTE, 0, message.length);
        long written;
        do {
          written = (long) WRITE.invokeExact(state, fd, buffer, (long) message.length);
        } while (written < 0 && errno(state) == EINTR);
        if (written != message.length) {
          throw new IOException("write " + path + ": wrote " + written + " of " + message.length
              + " bytes, errno " + errno(state));
        }
        return true;
      } finally {
        Syscalls.close(fd);
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("write to fifo " + path, t);
    }
  }

  /**
   * The read end of a FIFO, opened without waiting for a writer (O_NONBLOCK, which
   * {@link #setBlocking} clears once the writer is there), close-on-exec.
   */
  public static int openFifoForReading(Path fifo) throws IOException {
    return open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  }

  /** Both ends of a FIFO in one fd: Linux opens that at once, whoever else has it open. */
  public static int openFifoBothEnds(Path fifo) throws IOException {
    return open(fifo, O_RDWR | O_CLOEXEC);
  }

  private static int open(Path path, int flags) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), flags);
      if (fd < 0) {
        int errno = errno(state);
        throw new IOException("open " + path + ": " + Syscalls.strerror(errno) + " (errno " + errno + ")");
      }
      return fd;
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("open " + path, t);
    }
  }

  /** Clears O_NONBLOCK, so that reads wait for data. */
  public static void setBlocking(int fd) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int flags = (int) FCNTL.invokeExact(state, fd, F_GETFL, 0);
      if (flags < 0 || (int) FCNTL.invokeExact(state, fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        throw new IOException("fcntl on fd " + fd + ": errno " + errno(state));
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("fcntl on fd " + fd, t);
    }
  }

  /** Writes all of {@code bytes}, which must fit the pipe's buffer. */
  public static void write(int fd, byte[] bytes) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment buffer = arena.allocate(bytes.length);
      MemorySegment.copy(bytes, 0, buffer, JAVA_BYTE, 0, bytes.length);
      long written;
      do {
        written = (long) WRITE.invokeExact(state, fd, buffer, (long) bytes.length);
      } while (written < 0 && errno(state) == EINTR);
      if (written != bytes.length) {
        throw new IOException("write to fd " + fd + ": wrote " + written + " of " + bytes.length
            + " bytes, errno " + errno(state));
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("write to fd " + fd, t);
    }
  }

  /** Reads up to {@code buffer}'s size; 0 at end of file. */
  public static int read(int fd, MemorySegment buffer, MemorySegment state) throws IOException {
    try {
      long n;
      do {
        n = (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
      } while (n < 0 && errno(state) == EINTR);
      if (n < 0) {
        int errno = errno(state);
        throw new IOException("read from fd " + fd + ": " + Syscalls.strerror(errno) + " (errno " + errno + ")");
      }
      return (int) n;
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("read from fd " + fd, t);
    }
  }

  /**
   * Waits up to {@code timeoutMillis} for {@code fd} to have data or lose its last writer; the
   * events seen (POLLIN, POLLHUP), 0 when the time ran out. Blocks its thread
   * in the kernel (a virtual thread pins its carrier), so keep the timeout short.
   */
  public static int poll(int fd, int timeoutMillis) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      // struct pollfd { int fd; short events; short revents; }
      MemorySegment pollfd = arena.allocate(8, 4);
      pollfd.set(JAVA_INT, 0, fd);
      pollfd.set(JAVA_SHORT, 4, (short) POLLIN);
      int rc;
      do {
        rc = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMillis);
      } while (rc < 0 && errno(state) == EINTR);
      if (rc < 0) {
        int errno = errno(state);
        throw new IOException("poll on fd " + fd + ": " + Syscalls.strerror(errno) + " (errno " + errno + ")");
      }
      return rc == 0 ? 0 : pollfd.get(JAVA_SHORT, 6);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("poll on fd " + fd, t);
    }
  }

  private static int errno(MemorySegment state) {
    return Syscalls.errno(state);
  }
}
