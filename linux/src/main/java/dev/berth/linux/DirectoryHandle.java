package dev.berth.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;

/**
 * An open directory ({@code O_PATH}) that names are resolved in, one component at a time and
 * never through a symlink: every call takes a single name in this directory and acts on that
 * entry itself ({@code *at} calls with {@code AT_SYMLINK_NOFOLLOW}, {@code O_NOFOLLOW}). A tree
 * of untrusted entries (an image layer) can be written and given its owners, modes and times
 * this way without any path that a symlink or a {@code ..} in it could lead elsewhere. Special
 * files (FIFOs, devices) are created and changed, never opened.
 */
public final class DirectoryHandle implements AutoCloseable {

  private static final boolean AARCH64 = System.getProperty("os.arch").equals("aarch64");
  private static final int O_WRONLY = 01;
  private static final int O_CREAT = 0100;
  private static final int O_EXCL = 0200;
  private static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;
  private static final int O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
  private static final int O_CLOEXEC = 02000000;
  private static final int O_PATH = 010000000;
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  /** utimensat's "leave this time as it is". */
  private static final long UTIME_OMIT = (1L << 30) - 2;
  private static final int EINTR = 4;
  private static final int EEXIST = 17;

  private static final MethodHandle OPENAT = Syscalls.bind("openat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3));
  private static final MethodHandle CLOSE = Syscalls.bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle MKDIRAT = Syscalls.bind("mkdirat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle MKNODAT = Syscalls.bind("mknodat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
  private static final MethodHandle SYMLINKAT = Syscalls.bind("symlinkat",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
  private static final MethodHandle LINKAT = Syscalls.bind("linkat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle UNLINKAT = Syscalls.bind("unlinkat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle FCHOWNAT = Syscalls.bind("fchownat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle FCHMODAT = Syscalls.bind("fchmodat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private static final MethodHandle UTIMENSAT = Syscalls.bind("utimensat",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
  private static final MethodHandle WRITE = Syscalls.bind("write",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle FCHOWN = Syscalls.bind("fchown",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle FCHMOD = Syscalls.bind("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle FUTIMENS = Syscalls.bind("futimens",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
  private static final MethodHandle FSETXATTR = Syscalls.bind("fsetxattr",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));

  /** What a name in a directory is, looked at without following it. */
  public enum Kind { MISSING, DIRECTORY, SYMLINK, OTHER }

  private final int fd;
  private final Path shownAs;

  private DirectoryHandle(int fd, Path shownAs) {
    this.fd = fd;
    this.shownAs = shownAs;
  }

  /** Opens a directory the caller trusts (its own), following links in {@code dir} as given. */
  public static DirectoryHandle open(Path dir) throws IOException {
    int fd = openat(AT_FDCWD, dir.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, dir);
    return new DirectoryHandle(fd, dir);
  }

  /** Whether a create failed because the name is taken (EEXIST). */
  public static boolean isAlreadyExists(IOException e) {
    return e instanceof Syscalls.ErrnoException errno && errno.errno() == EEXIST;
  }

  /**
   * A path naming {@code name} in this directory through the handle ({@code /proc/self/fd/N/name}),
   * for JDK calls that only take paths: the directory is the one this handle holds whatever
   * happens to the path it was opened by; the last component is resolved as the JDK call says
   * (use {@link LinkOption#NOFOLLOW_LINKS}).
   */
  public Path anchored(String name) {
    return Path.of("/proc/self/fd/" + fd, requireName(name));
  }

  public Kind kind(String name) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(anchored(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isDirectory() ? Kind.DIRECTORY : a.isSymbolicLink() ? Kind.SYMLINK : Kind.OTHER;
    } catch (NoSuchFileException e) {
      return Kind.MISSING;
    }
  }

  /** Opens the subdirectory {@code name}; fails (ELOOP, ENOTDIR) when it is a symlink or no directory. */
  public DirectoryHandle openDirectory(String name) throws IOException {
    int child = openat(fd, requireName(name), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, shownAs.resolve(name));
    return new DirectoryHandle(child, shownAs.resolve(name));
  }

  public void mkdir(String name, int mode) throws IOException {
    at("mkdir", name, (state, arena, n) -> (int) MKDIRAT.invokeExact(state, fd, n, mode));
  }

  /** Creates a FIFO or device node; {@code mode} carries the type bits ({@link Syscalls#S_IFIFO}, ...). */
  public void mknod(String name, int mode, int major, int minor) throws IOException {
    long dev = Syscalls.makedev(major, minor);
    at("mknod", name, (state, arena, n) -> (int) MKNODAT.invokeExact(state, fd, n, mode, dev));
  }

  /** Creates a symlink; its target is text, never resolved here. */
  public void symlink(String name, String target) throws IOException {
    at("symlink", name, (state, arena, n) -> (int) SYMLINKAT.invokeExact(state,
        arena.allocateFrom(target, StandardCharsets.UTF_8), fd, n));
  }

  /** Makes {@code name} a hard link to {@code sourceName} in {@code sourceDir} (to a symlink itself, not its target). */
  public void link(String name, DirectoryHandle sourceDir, String sourceName) throws IOException {
    requireName(sourceName);
    at("link to " + sourceDir.shownAs.resolve(sourceName), name, (state, arena, n) -> (int) LINKAT.invokeExact(state,
        sourceDir.fd, arena.allocateFrom(sourceName, StandardCharsets.UTF_8), fd, n, 0));
  }

  /** Removes a non-directory entry (a symlink itself, never its target). */
  public void unlink(String name) throws IOException {
    at("unlink", name, (state, arena, n) -> (int) UNLINKAT.invokeExact(state, fd, n, 0));
  }

  /** The attributes of the entry {@code name} in this directory itself (a symlink's own, not its target's). */
  public EntryAttributes entry(String name) {
    requireName(name);
    return new EntryAttributes() {
      @Override
      public void chown(int uid, int gid) throws IOException {
        DirectoryHandle.this.chown(name, uid, gid);
      }

      @Override
      public void setXattr(String attribute, byte[] value) throws IOException {
        DirectoryHandle.this.setXattr(name, attribute, value);
      }

      @Override
      public void chmod(int mode) throws IOException {
        DirectoryHandle.this.chmod(name, mode);
      }

      @Override
      public void setTimes(Instant accessed, Instant modified) throws IOException {
        DirectoryHandle.this.setTimes(name, accessed, modified);
      }

      @Override
      public Path shownAs() {
        return shownAs.resolve(name);
      }
    };
  }

  /** Sets the owner of the entry itself (a symlink's own owner, not its target's). */
  public void chown(String name, int uid, int gid) throws IOException {
    at("chown", name, (state, arena, n) -> (int) FCHOWNAT.invokeExact(state, fd, n, uid, gid, AT_SYMLINK_NOFOLLOW));
  }

  /**
   * Sets all twelve mode bits (set-id and sticky too) of the entry itself; a symlink is refused
   * (EOPNOTSUPP), since Linux symlinks have no mode of their own.
   */
  public void chmod(String name, int mode) throws IOException {
    at("chmod", name, (state, arena, n) -> (int) FCHMODAT.invokeExact(state, fd, n, mode & 07777, AT_SYMLINK_NOFOLLOW));
  }

  /** Sets the entry's own times; a null access time is left as it is. Never opens the entry. */
  public void setTimes(String name, Instant accessed, Instant modified) throws IOException {
    at("utimensat", name, (state, arena, n) ->
        (int) UTIMENSAT.invokeExact(state, fd, n, timespecs(arena, accessed, modified), AT_SYMLINK_NOFOLLOW));
  }

  private static MemorySegment timespecs(Arena arena, Instant accessed, Instant modified) {
    MemorySegment times = arena.allocate(32, 8);
    times.set(JAVA_LONG, 0, accessed == null ? 0 : accessed.getEpochSecond());
    times.set(JAVA_LONG, 8, accessed == null ? UTIME_OMIT : accessed.getNano());
    times.set(JAVA_LONG, 16, modified.getEpochSecond());
    times.set(JAVA_LONG, 24, modified.getNano());
    return times;
  }

  /** Sets an extended attribute on the entry itself ({@code lsetxattr} through the handle). */
  public void setXattr(String name, String attribute, byte[] value) throws IOException {
    Syscalls.lsetxattr(anchored(name), attribute, value);
  }

  /** Sets an extended attribute on this directory itself. */
  public void setOwnXattr(String attribute, byte[] value) throws IOException {
    // "." as the last component: the directory this handle holds, with no link to follow.
    Syscalls.lsetxattr(Path.of("/proc/self/fd/" + fd, "."), attribute, value);
  }

  /**
   * Creates a new regular file (never through a symlink, never over an existing entry: EEXIST)
   * and returns it open for writing; its attributes are set through its descriptor.
   */
  public NewFile createFile(String name) throws IOException {
    int file = openat(fd, requireName(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600,
        shownAs.resolve(name));
    return new NewFile(file, shownAs.resolve(name));
  }

  @Override
  public void close() throws IOException {
    closeFd(fd, shownAs);
  }

  private static String requireName(String name) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a single name in a directory: \"" + name + "\"");
    }
    return name;
  }

  @FunctionalInterface
  private interface NamedCall {
    int invoke(MemorySegment state, Arena arena, MemorySegment name) throws Throwable;
  }

  private void at(String what, String name, NamedCall call) throws IOException {
    requireName(name);
    Syscalls.call(what, shownAs.resolve(name), (state, arena) ->
        call.invoke(state, arena, arena.allocateFrom(name, StandardCharsets.UTF_8)));
  }

  private static int openat(int dirFd, String name, int flags, int mode, Path shownAs) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int result = (int) OPENAT.invokeExact(state, dirFd, arena.allocateFrom(name, StandardCharsets.UTF_8), flags, mode);
      if (result < 0) {
        throw Syscalls.failure("open", shownAs, (int) Syscalls.ERRNO.get(state, 0L));
      }
      return result;
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("open failed on " + shownAs, t);
    }
  }

  private static void closeFd(int fd, Path shownAs) throws IOException {
    // Linux releases the descriptor even when close fails, so it is never retried.
    Syscalls.call("close", shownAs, (state, arena) -> (int) CLOSE.invokeExact(state, fd));
  }

  /**
   * A file this handle created, open for writing; its attributes are set through the descriptor,
   * which is closed once.
   */
  public static final class NewFile extends OutputStream implements EntryAttributes {
    private static final int BUFFER = 1 << 16;
    private final int fd;
    private final Path shownAs;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
    // Sized by the first write, up to BUFFER: native memory comes zeroed, and most files of an
    // image are far smaller than 64 KiB (zeroing 64 KiB for each of an image's thousands of files
    // cost more than writing them).
    private MemorySegment buffer;
    private boolean closed;

    NewFile(int fd, Path shownAs) {
      this.fd = fd;
      this.shownAs = shownAs;
    }

    @Override
    public Path shownAs() {
      return shownAs;
    }

    @Override
    public void chown(int uid, int gid) throws IOException {
      Syscalls.call("fchown", shownAs, (st, arena) -> (int) FCHOWN.invokeExact(st, fd, uid, gid));
    }

    @Override
    public void setXattr(String attribute, byte[] value) throws IOException {
      Syscalls.call("fsetxattr " + attribute, shownAs, (st, arena) -> {
        MemorySegment v = arena.allocate(Math.max(1, value.length));
        v.copyFrom(MemorySegment.ofArray(value));
        return (int) FSETXATTR.invokeExact(st, fd, arena.allocateFrom(attribute), v, (long) value.length, 0);
      });
    }

    @Override
    public void chmod(int mode) throws IOException {
      Syscalls.call("fchmod", shownAs, (st, arena) -> (int) FCHMOD.invokeExact(st, fd, mode & 07777));
    }

    @Override
    public void setTimes(Instant accessed, Instant modified) throws IOException {
      Syscalls.call("futimens", shownAs, (st, arena) ->
          (int) FUTIMENS.invokeExact(st, fd, timespecs(arena, accessed, modified)));
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      if (closed) {
        throw new IOException("write to closed " + shownAs);
      }
      while (length > 0) {
        int chunk = Math.min(length, BUFFER);
        if (buffer == null || buffer.byteSize() < chunk) {
          buffer = arena.allocate(buffer == null ? chunk : BUFFER);
        }
        MemorySegment.copy(bytes, offset, buffer, JAVA_BYTE, 0, chunk);
        long done = 0;
        while (done < chunk) {
          long n;
          try {
            n = (long) WRITE.invokeExact(state, fd, buffer.asSlice(done), (long) (chunk - done));
          } catch (Throwable t) {
            throw new IOException("write failed on " + shownAs, t);
          }
          if (n < 0) {
            int errno = (int) Syscalls.ERRNO.get(state, 0L);
            if (errno == EINTR) {
              continue;
            }
            throw Syscalls.failure("write", shownAs, errno);
          }
          done += n;
        }
        offset += chunk;
        length -= chunk;
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        closeFd(fd, shownAs);
      } finally {
        arena.close();
      }
    }
  }
}
