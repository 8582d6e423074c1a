package dev.berth.runtime.netns;

import dev.berth.image.sys.Syscalls;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Makes a pod's new IPC and/or UTS namespace and pins each on a file, the technique of
 * {@link ThreadNetnsPinner}: unshare(2) on a platform thread made for this one call, sethostname(2)
 * there for the pod's hostname, a bind mount of {@code /proc/thread-self/ns/ipc} and {@code uts},
 * then setns(2) back to the daemon's namespaces before the thread ends.
 */
final class ThreadIpcUtsPinner implements PodNamespacePins.Pinner {

  private static final int CLONE_NEWIPC = 0x08000000;
  private static final int CLONE_NEWUTS = 0x04000000;
  private static final int O_RDONLY_CLOEXEC = 0x80000;
  private static final long MS_BIND = 4096;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
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

  private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
        Linker.Option.captureCallState("errno"));
  }

  @Override
  public void pin(Path ipcFile, Path utsFile, String hostname) throws IOException {
    IOException[] failure = new IOException[1];
    Thread thread = Thread.ofPlatform().name("ipc-uts-pin").start(() -> {
      try {
        pinOnThisThread(ipcFile, utsFile, hostname);
      } catch (IOException e) {
        failure[0] = e;
      } catch (Throwable t) {
        failure[0] = new IOException("pinning IPC/UTS namespaces: " + t, t);
      }
    });
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while pinning IPC/UTS namespaces");
    }
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  private static void pinOnThisThread(Path ipcFile, Path utsFile, String hostname) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int daemonIpc = open(arena, state, "/proc/thread-self/ns/ipc");
      try {
        int daemonUts = open(arena, state, "/proc/thread-self/ns/uts");
        try {
          int flags = (ipcFile != null ? CLONE_NEWIPC : 0) | (utsFile != null ? CLONE_NEWUTS : 0);
          if ((int) UNSHARE.invokeExact(state, flags) != 0) {
            throw failure("unshare(IPC/UTS)", state);
          }
          try {
            if (utsFile != null && !hostname.isEmpty()) {
              byte[] name = hostname.getBytes(StandardCharsets.UTF_8);
              if ((int) SETHOSTNAME.invokeExact(state, arena.allocateFrom(ValueLayout.JAVA_BYTE, name),
                  (long) name.length) != 0) {
                throw failure("sethostname(" + hostname + ")", state);
              }
            }
            if (ipcFile != null) {
              Syscalls.mount("/proc/thread-self/ns/ipc", ipcFile, "none", MS_BIND, null);
            }
            if (utsFile != null) {
              Syscalls.mount("/proc/thread-self/ns/uts", utsFile, "none", MS_BIND, null);
            }
          } finally {
            // This thread ends right after; the daemon's other threads never left their namespaces.
            if ((int) SETNS.invokeExact(state, daemonIpc, CLONE_NEWIPC) != 0) {
              throw failure("setns back to the daemon's IPC namespace", state);
            }
            if ((int) SETNS.invokeExact(state, daemonUts, CLONE_NEWUTS) != 0) {
              throw failure("setns back to the daemon's UTS namespace", state);
            }
          }
        } finally {
          int ignored = (int) CLOSE.invokeExact(state, daemonUts);
        }
      } finally {
        int ignored = (int) CLOSE.invokeExact(state, daemonIpc);
      }
    }
  }

  private static int open(Arena arena, MemorySegment state, String path) throws Throwable {
    int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), O_RDONLY_CLOEXEC);
    if (fd < 0) {
      throw failure("open " + path, state);
    }
    return fd;
  }

  private static IOException failure(String what, MemorySegment state) {
    int errno = (int) ERRNO.get(state, 0L);
    return new IOException(what + " failed: errno " + errno);
  }
}
