package dev.berth.shim.internal;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few libc calls the JDK has no API for: making a FIFO, and opening one for writing without
 * blocking (a plain open would hang forever when conmon, the reader, is gone).
 */
public final class Libc {
  private static final int O_WRONLY = 01;
  private static final int O_NONBLOCK = 04000;
  private static final int O_CLOEXEC = 02000000;
  private static final int ENXIO = 6;
  private static final int EINTR = 4;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

  private static final MethodHandle MKFIFO = downcall("mkfifo",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle OPEN = downcall("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
  private static final MethodHandle WRITE = downcall("write",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle CLOSE = LINKER.downcallHandle(
      LINKER.defaultLookup().find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));

  private Libc() {
  }

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
    Linker.Option[] options = new Linker.Option[extra.length + 1];
    options[0] = CAPTURE_ERRNO;
    System.arraycopy(extra, 0, options, 1, extra.length);
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, options);
  }

  /** Creates a named pipe readable and writable by the owner only. */
  public static void mkfifo(Path path) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
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
      MemorySegment state = arena.allocate(CALL_STATE);
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
        int ignored = (int) CLOSE.invokeExact(fd);
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("write to fifo " + path, t);
    }
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }
}
