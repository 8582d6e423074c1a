package dev.berth.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Berth's one binding of libc through the FFM API: every Linux call the JDK does not offer is
 * bound with {@link #bind}, which captures errno so that failures name it. Here are the path
 * calls that image unpacking and rootfs mounts need: mknod (whiteouts, device nodes), lchown,
 * chmod with set-id bits, lsetxattr, mount, umount2, statfs,
 * statx (is a path a mount root). {@link DirectoryHandle} binds the
 * {@code *at} calls with the same helpers; the shim's FIFOs and attach socket and the daemon's
 * namespace and loopback calls bind theirs the same way, beside the code that uses them.
 */
public final class Syscalls {

  public static final int S_IFCHR = 0020000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFIFO = 0010000;
  public static final int MNT_DETACH = 2;
  public static final long MS_RDONLY = 1;
  private static final int EINVAL = 22;
  private static final int ENOENT = 2;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  /** The state a call bound with {@link #bind} takes as its first argument; errno is read from it. */
  public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  static final VarHandle ERRNO =
      CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

  private static final MethodHandle MKNOD = bind("mknod", FunctionDescriptor.of(INT, PTR, INT, LONG));
  private static final MethodHandle LCHOWN = bind("lchown", FunctionDescriptor.of(INT, PTR, INT, INT));
  private static final MethodHandle CHMOD = bind("chmod", FunctionDescriptor.of(INT, PTR, INT));
  private static final MethodHandle LSETXATTR =
      bind("lsetxattr", FunctionDescriptor.of(INT, PTR, PTR, PTR, LONG, INT));
  private static final MethodHandle LGETXATTR =
      bind("lgetxattr", FunctionDescriptor.of(LONG, PTR, PTR, PTR, LONG));
  private static final MethodHandle MOUNT = bind("mount", FunctionDescriptor.of(INT, PTR, PTR, PTR, LONG, PTR));
  private static final MethodHandle UMOUNT2 = bind("umount2", FunctionDescriptor.of(INT, PTR, INT));
  private static final MethodHandle STATFS = bind("statfs", FunctionDescriptor.of(INT, PTR, PTR));
  private static final MethodHandle STATX = bind("statx", FunctionDescriptor.of(INT, INT, PTR, INT, INT, PTR));
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final long STATX_ATTR_MOUNT_ROOT = 0x2000;
  private static final MethodHandle STRERROR = LINKER.downcallHandle(
      LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(PTR, INT));
  private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(INT, INT));

  /** Filesystem counters, in bytes and inodes. */
  public record FsStats(long totalBytes, long freeBytes, long totalInodes, long freeInodes) {
    public long usedBytes() {
      return totalBytes - freeBytes;
    }

    public long usedInodes() {
      return totalInodes - freeInodes;
    }
  }

  private Syscalls() {}

  /**
   * The libc function {@code name}, called with a {@link #CALL_STATE} segment before its own
   * arguments; {@code extra} options such as {@link Linker.Option#firstVariadicArg} for variadic ones.
   */
  public static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
    Linker.Option[] options = new Linker.Option[extra.length + 1];
    options[0] = Linker.Option.captureCallState("errno");
    System.arraycopy(extra, 0, options, 1, extra.length);
    return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor, options);
  }

  /**
   * A function of another native library (libcrypto's digests, say), bound with the same one
   * linker; no errno capture. Empty when the library or the symbol is not on this node.
   */
  public static java.util.Optional<MethodHandle> bindIn(SymbolLookup library, String name,
      FunctionDescriptor descriptor, Linker.Option... options) {
    return library.find(name).map(symbol -> LINKER.downcallHandle(symbol, descriptor, options));
  }

  /** The errno a call bound with {@link #bind} left in {@code state}. */
  public static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  /** Closes a descriptor that nothing else holds; close(2) leaves nothing to retry, so its result is not read. */
  public static void close(int fd) {
    try (Arena arena = Arena.ofConfined()) {
      int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
    } catch (Throwable t) {
      throw new IllegalStateException("close(" + fd + ")", t);
    }
  }

  /** Bound on first use: only the daemon's spare infras change a nice value. */
  private static final class Priority {
    static final int PRIO_PROCESS = 0;
    static final MethodHandle SETPRIORITY = bind("setpriority", FunctionDescriptor.of(INT, INT, INT, INT));
  }

  /**
   * Sets the nice value of one thread (setpriority(2) with PRIO_PROCESS: Linux applies it to the
   * thread, not to its whole process), {@code 0} being the calling thread. What a thread spawns
   * afterwards starts with its nice value.
   */
  public static void setNice(long threadId, int nice) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = (int) Priority.SETPRIORITY.invokeExact(state, Priority.PRIO_PROCESS, (int) threadId, nice);
      if (rc != 0) {
        int errno = (int) ERRNO.get(state, 0L);
        throw new IOException("setpriority(" + threadId + ", " + nice + "): " + strerror(errno) + " (errno " + errno
            + ")");
      }
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("setpriority(" + threadId + ", " + nice + ")", t);
    }
  }

  /** Creates a device node or FIFO; {@code mode} carries the type bits (S_IFCHR, ...). */
  public static void mknod(Path path, int mode, int major, int minor) throws IOException {
    long dev = makedev(major, minor);
    call("mknod", path, (state, arena) -> (int) MKNOD.invokeExact(state, str(arena, path), mode, dev));
  }

  /** glibc's makedev: the dev_t of a device number. */
  static long makedev(int major, int minor) {
    return ((long) (major & 0xfff) << 8) | (minor & 0xff) | ((long) (minor & ~0xff) << 12)
        | ((long) (major & ~0xfff) << 32);
  }

  public static void lchown(Path path, int uid, int gid) throws IOException {
    call("lchown", path, (state, arena) -> (int) LCHOWN.invokeExact(state, str(arena, path), uid, gid));
  }

  /** chmod with all twelve mode bits; Files.setPosixFilePermissions drops set-uid, set-gid, sticky. */
  public static void chmod(Path path, int mode) throws IOException {
    call("chmod", path, (state, arena) -> (int) CHMOD.invokeExact(state, str(arena, path), mode & 07777));
  }

  public static void lsetxattr(Path path, String name, byte[] value) throws IOException {
    call("lsetxattr " + name, path, (state, arena) -> {
      MemorySegment v = arena.allocate(Math.max(1, value.length));
      v.copyFrom(MemorySegment.ofArray(value));
      return (int) LSETXATTR.invokeExact(state, str(arena, path), arena.allocateFrom(name), v,
          (long) value.length, 0);
    });
  }

  /** The attribute's value, or null when the file does not carry it. */
  public static byte[] lgetxattr(Path path, String name) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment buf = arena.allocate(65536);
      long n = (long) LGETXATTR.invokeExact(state, str(arena, path), arena.allocateFrom(name), buf, 65536L);
      if (n < 0) {
        int errno = (int) ERRNO.get(state, 0L);
        if (errno == 61 /* ENODATA */) {
          return null;
        }
        throw failure("lgetxattr " + name, path, errno);
      }
      return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("lgetxattr failed on " + path, t);
    }
  }

  public static void mount(String source, Path target, String type, long flags, String data) throws IOException {
    call("mount " + type, target, (state, arena) -> {
      MemorySegment options = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
      return (int) MOUNT.invokeExact(state, arena.allocateFrom(source), str(arena, target), arena.allocateFrom(type),
          flags, options);
    });
  }

  /** Unmounts; returns false when nothing was mounted there (EINVAL) or the path is gone (ENOENT). */
  public static boolean umount2(Path target, int flags) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = (int) UMOUNT2.invokeExact(state, str(arena, target), flags);
      if (rc == 0) {
        return true;
      }
      int errno = (int) ERRNO.get(state, 0L);
      if (errno == EINVAL || errno == ENOENT) {
        return false;
      }
      throw failure("umount2", target, errno);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("umount2 failed on " + target, t);
    }
  }

  public static FsStats statfs(Path path) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      // struct statfs on x86_64 and aarch64: f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files,
      // f_ffree as 64-bit words, then fsid, namelen, frsize, flags, spare: 120 bytes.
      MemorySegment buf = arena.allocate(128, 8);
      int rc = (int) STATFS.invokeExact(state, str(arena, path), buf);
      if (rc != 0) {
        throw failure("statfs", path, (int) ERRNO.get(state, 0L));
      }
      long bsize = buf.get(LONG, 8);
      long blocks = buf.get(LONG, 16);
      long bfree = buf.get(LONG, 24);
      long files = buf.get(LONG, 40);
      long ffree = buf.get(LONG, 48);
      return new FsStats(blocks * bsize, bfree * bsize, files, ffree);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("statfs failed on " + path, t);
    }
  }

  /**
   * Whether the path is the root of a mount, as statx(2) tells it (Linux 5.8 and later) without
   * reading the mount table; empty when the kernel does not report it. A missing path is none.
   */
  public static java.util.Optional<Boolean> isMountRoot(Path path) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      // struct statx: stx_attributes at offset 8, stx_attributes_mask at 56; 256 bytes in all.
      MemorySegment buf = arena.allocate(256, 8);
      int rc = (int) STATX.invokeExact(state, AT_FDCWD, str(arena, path), AT_SYMLINK_NOFOLLOW, 0, buf);
      if (rc != 0) {
        int errno = (int) ERRNO.get(state, 0L);
        if (errno == ENOENT) {
          return java.util.Optional.of(false);
        }
        throw failure("statx", path, errno);
      }
      if ((buf.get(LONG, 56) & STATX_ATTR_MOUNT_ROOT) == 0) {
        return java.util.Optional.empty();
      }
      return java.util.Optional.of((buf.get(LONG, 8) & STATX_ATTR_MOUNT_ROOT) != 0);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("statx failed on " + path, t);
    }
  }

  @FunctionalInterface
  interface Call {
    int invoke(MemorySegment state, Arena arena) throws Throwable;
  }

  static void call(String what, Path path, Call call) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int rc = call.invoke(state, arena);
      if (rc != 0) {
        throw failure(what, path, (int) ERRNO.get(state, 0L));
      }
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException(what + " failed on " + path, t);
    }
  }

  private static MemorySegment str(Arena arena, Path path) {
    return arena.allocateFrom(path.toString(), StandardCharsets.UTF_8);
  }

  static IOException failure(String what, Path path, int errno) {
    return new ErrnoException(what + " " + path + ": " + strerror(errno) + " (errno " + errno + ")", errno);
  }

  /** The C library's text for an errno ("No such file or directory"). */
  public static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
      return s.reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "error";
    }
  }

  /** A failed call, with its errno for callers that tell cases apart. */
  public static final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String message, int errno) {
      super(message);
      this.errno = errno;
    }

    public int errno() {
      return errno;
    }
  }
}
