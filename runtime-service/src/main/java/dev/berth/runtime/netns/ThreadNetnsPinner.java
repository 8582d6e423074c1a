package dev.berth.runtime.netns;

import dev.berth.image.sys.Syscalls;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Makes a network namespace and pins it on a file with three system calls instead of running
 * util-linux {@code unshare --net=FILE} (a process start that cost ~5 ms of every RunPodSandbox).
 *
 * <p>unshare(2) and setns(2) act on the calling thread only, and a JVM thread that stayed in the
 * new namespace would carry it into whatever it ran next. So the work runs on a platform thread
 * made for this one call and thrown away after it: the thread unshares, bind-mounts its own
 * {@code /proc/thread-self/ns/net} onto the file, and goes back to the daemon's namespace before
 * it ends. Even if going back failed, nothing else would ever run on that thread.
 */
final class ThreadNetnsPinner implements NetworkNamespaces.Pinner {

  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY_CLOEXEC = 0x80000;
  private static final long MS_BIND = 4096;
  private static final String OWN_NAMESPACE = "/proc/thread-self/ns/net";

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle UNSHARE = bind("unshare", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT));
  private static final MethodHandle SETNS = bind("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.JAVA_INT));

  private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
        Linker.Option.captureCallState("errno"));
  }

  @Override
  public void pin(Path file) throws IOException {
    IOException[] failure = new IOException[1];
    Thread thread = Thread.ofPlatform().name("netns-pin").start(() -> {
      try {
        pinOnThisThread(file);
      } catch (IOException e) {
        failure[0] = e;
      } catch (Throwable t) {
        failure[0] = new IOException("pinning network namespace " + file + ": " + t, t);
      }
    });
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while creating network namespace " + file);
    }
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  private static void pinOnThisThread(Path file) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int daemonNamespace = (int) OPEN.invokeExact(state, arena.allocateFrom(OWN_NAMESPACE), O_RDONLY_CLOEXEC);
      if (daemonNamespace < 0) {
        throw failure("open " + OWN_NAMESPACE, state);
      }
      try {
        if ((int) UNSHARE.invokeExact(state, CLONE_NEWNET) != 0) {
          throw failure("unshare(CLONE_NEWNET)", state);
        }
        try {
          Syscalls.mount(OWN_NAMESPACE, file, "none", MS_BIND, null);
        } finally {
          if ((int) SETNS.invokeExact(state, daemonNamespace, CLONE_NEWNET) != 0) {
            // This thread ends right after; the daemon's other threads never left their namespace.
            throw failure("setns back to the daemon's network namespace", state);
          }
        }
      } finally {
        int ignored = (int) CLOSE.invokeExact(state, daemonNamespace);
      }
    }
  }

  private static IOException failure(String what, MemorySegment state) {
    int errno = (int) ERRNO.get(state, 0L);
    return new IOException(what + " failed: errno " + errno);
  }
}
