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

/**
 * The few libc calls the JDK has no API for: making a FIFO, and opening one for writing without
 * blocking (a plain open would hang forever when conmon, the reader, is gone). Bound through
 * {@link Syscalls}, Berth's one libc binding.
 */
public final class Libc {
  private static final int O_WRONLY = 01;
  private static final int O_NONBLOCK = 04000;
  private static final int O_CLOEXEC = 02000000;
  private static final int ENXIO = 6;
  private static final int EINTR = 4;

  private static final MethodHandle MKFIFO = Syscalls.bind("mkfifo",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle OPEN = Syscalls.bind("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
  private static final MethodHandle WRITE = Syscalls.bind("write",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

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

  private static int errno(MemorySegment state) {
    return Syscalls.errno(state);
  }
}
