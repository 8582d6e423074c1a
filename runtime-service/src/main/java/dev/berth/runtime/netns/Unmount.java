package dev.berth.runtime.netns;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * umount2(2) through the FFM API: unpinning a namespace is one syscall, so it should not cost a
 * process spawn. Unlike unshare/setns, umount acts on the process's mount namespace, not on the
 * calling thread, so it is safe on any JVM thread.
 */
final class Unmount {

  private static final int MNT_DETACH = 2;
  private static final int ENOENT = 2;
  private static final int EINVAL = 22;

  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle UMOUNT2;

  static {
    Linker linker = Linker.nativeLinker();
    UMOUNT2 = linker.downcallHandle(
        linker.defaultLookup().find("umount2").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
        Linker.Option.captureCallState("errno"));
  }

  private Unmount() {}

  /**
   * Detaches the mount on {@code path} (MNT_DETACH never fails with EBUSY, and a namespace file
   * has nothing below it that could still be in use).
   *
   * @return false when nothing was mounted there (or the path is gone)
   */
  static boolean detach(Path path) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment target = arena.allocateFrom(path.toString());
      int rc = (int) UMOUNT2.invokeExact(state, target, MNT_DETACH);
      if (rc == 0) {
        return true;
      }
      int errno = (int) ERRNO.get(state, 0L);
      if (errno == EINVAL || errno == ENOENT) {
        return false;
      }
      throw new IOException("umount2(" + path + ") failed with errno " + errno);
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("umount2 downcall failed", t);
    }
  }
}
