package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The system calls the namespace pinners share (unshare, setns, sethostname and the fd calls
 * around them, each with its errno, bound through {@link Syscalls}), and the throw-away platform
 * thread they run on.
 *
 * <p>unshare(2) and setns(2) act on the calling thread only, and a JVM thread that stayed in a
 * new namespace would carry it into whatever it ran next. So a pin runs on a platform thread
 * made for that one call: it unshares, bind-mounts its own {@code /proc/thread-self/ns/*}, goes
 * back to the daemon's namespaces and ends. Even if going back failed, nothing else would ever
 * run on that thread.
 */
final class ThreadNamespaces {

  static final int CLONE_NEWNET = 0x40000000;
  static final int CLONE_NEWIPC = 0x08000000;
  static final int CLONE_NEWUTS = 0x04000000;
  static final long MS_BIND = 4096;
  private static final int O_RDONLY_CLOEXEC = 0x80000;

  private static final MethodHandle UNSHARE = bind("unshare", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT));
  private static final MethodHandle SETNS = bind("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT));
  private static final MethodHandle SETHOSTNAME = bind("sethostname", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

  /** Work for one throw-away thread, with the arena and errno state its calls use. */
  interface ThreadWork {
    void run(ThreadNamespaces calls) throws Throwable;
  }

  private final Arena arena;
  private final MemorySegment state;

  private ThreadNamespaces(Arena arena) {
    this.arena = arena;
    this.state = arena.allocate(Syscalls.CALL_STATE);
  }

  private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
    return Syscalls.bind(name, descriptor);
  }

  /** Runs {@code work} on a new platform thread and waits for it; {@code what} names it in errors. */
  static void onThrowAwayThread(String threadName, String what, ThreadWork work) throws IOException {
    IOException[] failure = new IOException[1];
    Thread thread = Thread.ofPlatform().name(threadName).start(() -> {
      try (Arena arena = Arena.ofConfined()) {
        work.run(new ThreadNamespaces(arena));
      } catch (IOException e) {
        failure[0] = e;
      } catch (Throwable t) {
        failure[0] = new IOException(what + ": " + t, t);
      }
    });
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while " + what);
    }
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  /** An fd of this thread's namespace at {@code path}, to go back to with {@link #setns}. */
  int open(String path) throws Throwable {
    int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), O_RDONLY_CLOEXEC);
    if (fd < 0) {
      throw failure("open " + path);
    }
    return fd;
  }

  void close(int fd) throws Throwable {
    int ignored = (int) CLOSE.invokeExact(state, fd);
  }

  void unshare(int flags, String what) throws Throwable {
    if ((int) UNSHARE.invokeExact(state, flags) != 0) {
      throw failure("unshare(" + what + ")");
    }
  }

  /** Moves this thread into the namespace open on {@code fd}; {@code what} names it in errors. */
  void enter(int fd, int type, String what) throws Throwable {
    if ((int) SETNS.invokeExact(state, fd, type) != 0) {
      throw failure("setns into " + what);
    }
  }

  void setns(int fd, int type, String what) throws Throwable {
    if ((int) SETNS.invokeExact(state, fd, type) != 0) {
      throw failure("setns back to the daemon's " + what + " namespace");
    }
  }

  void sethostname(String hostname) throws Throwable {
    byte[] name = hostname.getBytes(StandardCharsets.UTF_8);
    if ((int) SETHOSTNAME.invokeExact(state, arena.allocateFrom(ValueLayout.JAVA_BYTE, name), (long) name.length) != 0) {
      throw failure("sethostname(" + hostname + ")");
    }
  }

  private IOException failure(String what) {
    int errno = Syscalls.errno(state);
    return new IOException(what + " failed: errno " + errno);
  }
}
