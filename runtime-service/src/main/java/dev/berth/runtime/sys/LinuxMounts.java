package dev.berth.runtime.sys;

import java.io.IOException;
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
 * mount(2) and umount2(2) through the FFM API: the JDK has no call for them, and spawning
 * mount(8) for every pod would cost a process per pod start. Unlike unshare/setns, both act on
 * the process's mount namespace, not the calling thread, so they are safe on any JVM thread.
 */
public final class LinuxMounts {

  public static final long MS_NOSUID = 2;
  public static final long MS_NODEV = 4;
  public static final long MS_NOEXEC = 8;
  private static final int MNT_DETACH = 2;
  private static final int EINVAL = 22;
  private static final int ENOENT = 2;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle MOUNT = downcall("mount", FunctionDescriptor.of(ValueLayout.JAVA_INT,
      ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
  private static final MethodHandle UMOUNT2 = downcall("umount2",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle STRERROR = LINKER.downcallHandle(
      LINKER.defaultLookup().find("strerror").orElseThrow(),
      FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

  private LinuxMounts() {}

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
        Linker.Option.captureCallState("errno"));
  }

  /** Mounts a fresh tmpfs, e.g. a pod's /dev/shm. */
  public static void mountTmpfs(Path target, long flags, String options) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = (int) MOUNT.invokeExact(state, arena.allocateFrom("tmpfs"), arena.allocateFrom(target.toString()),
          arena.allocateFrom("tmpfs"), flags, arena.allocateFrom(options));
      if (rc != 0) {
        throw new IOException("mount tmpfs on " + target + ": " + describe((int) ERRNO.get(state, 0L)));
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("mount tmpfs on " + target, t);
    }
  }

  /**
   * Detaches the mount at {@code target} (MNT_DETACH never fails with EBUSY).
   *
   * @return false when nothing was mounted there, or the path is gone
   */
  public static boolean unmountIfMounted(Path target) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = (int) UMOUNT2.invokeExact(state, arena.allocateFrom(target.toString()), MNT_DETACH);
      if (rc == 0) {
        return true;
      }
      int errno = (int) ERRNO.get(state, 0L);
      if (errno != EINVAL && errno != ENOENT) {
        throw new IOException("umount " + target + ": " + describe(errno));
      }
      return false;
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("umount " + target, t);
    }
  }

  private static String describe(int errno) throws Throwable {
    MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
    return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
  }
}
