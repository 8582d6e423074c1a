package dev.berth.runtime.sys;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Makes an idmapped copy of a mounted tree with the new mount API (Linux 5.12): open_tree(2)
 * with OPEN_TREE_CLONE detaches a copy of the tree at {@code source}, mount_setattr(2) with
 * MOUNT_ATTR_IDMAP gives the copy the id mapping of a user namespace, move_mount(2) attaches it
 * at {@code target}. Files owned by id {@code k} on disk then appear through {@code target} as
 * owned by the user namespace's mapping of {@code k}, and a process of that namespace creates
 * files owned by its own ids on disk: no recursive chown of the source.
 *
 * <p>Debian 12's glibc (2.36) has no wrappers for these calls, so they go through syscall(2); the
 * numbers are the same on every architecture (they came after the unified syscall table).
 */
public final class IdmappedMount {

  private static final long SYS_OPEN_TREE = 428;
  private static final long SYS_MOVE_MOUNT = 429;
  private static final long SYS_MOUNT_SETATTR = 442;
  private static final int AT_FDCWD = -100;
  private static final int AT_RECURSIVE = 0x8000;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final int OPEN_TREE_CLONE = 1;
  private static final int OPEN_TREE_CLOEXEC = 0x80000;
  private static final int MOVE_MOUNT_F_EMPTY_PATH = 0x4;
  private static final long MOUNT_ATTR_IDMAP = 0x00100000L;
  private static final int O_RDONLY_CLOEXEC = 0x80000;

  /** struct mount_attr: attr_set, attr_clr, propagation, userns_fd (all u64). */
  private static final StructLayout MOUNT_ATTR = MemoryLayout.structLayout(
      ValueLayout.JAVA_LONG.withName("attr_set"), ValueLayout.JAVA_LONG.withName("attr_clr"),
      ValueLayout.JAVA_LONG.withName("propagation"), ValueLayout.JAVA_LONG.withName("userns_fd"));

  private static final MethodHandle OPEN_TREE = syscall(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
      ValueLayout.JAVA_INT);
  private static final MethodHandle MOUNT_SETATTR = syscall(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
      ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
  private static final MethodHandle MOVE_MOUNT = syscall(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
      ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
  private static final MethodHandle OPEN = Syscalls.bind("open",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

  private IdmappedMount() {}

  /** syscall(number, args...) with the arguments after the number passed as C varargs. */
  private static MethodHandle syscall(ValueLayout... args) {
    ValueLayout[] all = new ValueLayout[args.length + 1];
    all[0] = ValueLayout.JAVA_LONG;
    System.arraycopy(args, 0, all, 1, args.length);
    return Syscalls.bind("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, all),
        Linker.Option.firstVariadicArg(1));
  }

  /**
   * Attaches at {@code target} (an existing file or directory) a copy of the tree mounted at
   * {@code source}, with its sub-mounts, idmapped by the user namespace at {@code userns} (a
   * {@code /proc/PID/ns/user} or a pinned copy of one).
   *
   * @throws IOException naming the call and errno that failed; nothing is attached then
   */
  public static void attach(Path source, Path userns, Path target) throws IOException {
    idmap(source, userns, target, AT_RECURSIVE);
  }

  /**
   * Whether the filesystem at {@code path} can be idmapped by {@code userns}: the calls of
   * {@link #attach} but the last, so nothing is ever attached, and only for the mount at
   * {@code path} (what is mounted below it, such as pinned namespaces, is no filesystem to idmap).
   */
  public static void check(Path path, Path userns) throws IOException {
    idmap(path, userns, null, 0);
  }

  private static void idmap(Path source, Path userns, Path target, int recursive) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int usernsFd = (int) OPEN.invokeExact(state, arena.allocateFrom(userns.toString()), O_RDONLY_CLOEXEC);
      if (usernsFd < 0) {
        throw failure("open user namespace " + userns, state);
      }
      try {
        long tree = (long) OPEN_TREE.invokeExact(state, SYS_OPEN_TREE, AT_FDCWD, arena.allocateFrom(source.toString()),
            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive);
        if (tree < 0) {
          throw failure("open_tree(OPEN_TREE_CLONE) of " + source, state);
        }
        try {
          MemorySegment attr = arena.allocate(MOUNT_ATTR);
          attr.set(ValueLayout.JAVA_LONG, 0, MOUNT_ATTR_IDMAP);
          attr.set(ValueLayout.JAVA_LONG, 24, usernsFd);
          long rc = (long) MOUNT_SETATTR.invokeExact(state, SYS_MOUNT_SETATTR, (int) tree, arena.allocateFrom(""),
              AT_EMPTY_PATH | recursive, attr, MOUNT_ATTR.byteSize());
          if (rc != 0) {
            throw failure("mount_setattr(MOUNT_ATTR_IDMAP) of " + source, state);
          }
          if (target != null) {
            rc = (long) MOVE_MOUNT.invokeExact(state, SYS_MOVE_MOUNT, (int) tree, arena.allocateFrom(""), AT_FDCWD,
                arena.allocateFrom(target.toString()), MOVE_MOUNT_F_EMPTY_PATH);
            if (rc != 0) {
              throw failure("move_mount of " + source + " to " + target, state);
            }
          }
        } finally {
          // A detached tree that was never attached is freed with its last fd.
          Syscalls.close((int) tree);
        }
      } finally {
        Syscalls.close(usernsFd);
      }
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("idmapped mount of " + source + ": " + t, t);
    }
  }

  private static IOException failure(String what, MemorySegment state) {
    return new IOException(what + " failed: errno " + Syscalls.errno(state));
  }
}
