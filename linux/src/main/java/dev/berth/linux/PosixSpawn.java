package dev.berth.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Starts a process with glibc's {@code posix_spawnp} (a vfork-like clone, the file actions, one
 * exec) instead of {@link ProcessBuilder}, which execs the JDK's {@code jspawnhelper} first and
 * keeps a reaper thread per child: one process start where the JDK makes two, and fds 3 and up
 * set as the caller says, which ProcessBuilder cannot do. The child starts with an empty signal
 * mask and every signal at its default action, as a process started from a shell would.
 *
 * <p>A child of {@link #spawn} is reaped by nobody else: the caller calls {@link #reap} (conmon's
 * first process exits as soon as it has forked its daemon) or {@link #waitFor}. A child of
 * {@link #start} is watched, fed, drained and reaped by the one shared {@link ChildWaiter}.
 */
public final class PosixSpawn {

  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 01;
  public static final int O_RDWR = 02;
  public static final int O_CREAT = 0100;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;

  private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
  private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
  private static final int WNOHANG = 1;
  private static final int ECHILD = 10;
  private static final int EINTR = 4;
  private static final int SIGKILL = 9;
  // glibc's posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336 and sigset_t 128 on
  // 64-bit Linux; more is allocated so that no libc writes past what it is given.
  private static final long FILE_ACTIONS_BYTES = 256;
  private static final long ATTR_BYTES = 512;
  private static final long SIGSET_BYTES = 256;

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

  private static final MethodHandle SPAWNP = Syscalls.bind("posix_spawnp",
      FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, PTR, PTR));
  private static final MethodHandle ACTIONS_INIT = Syscalls.bind("posix_spawn_file_actions_init",
      FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle ACTIONS_DESTROY = Syscalls.bind("posix_spawn_file_actions_destroy",
      FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle ADD_OPEN = Syscalls.bind("posix_spawn_file_actions_addopen",
      FunctionDescriptor.of(INT, PTR, INT, PTR, INT, INT));
  private static final MethodHandle ADD_DUP2 = Syscalls.bind("posix_spawn_file_actions_adddup2",
      FunctionDescriptor.of(INT, PTR, INT, INT));
  private static final MethodHandle ADD_CLOSE = Syscalls.bind("posix_spawn_file_actions_addclose",
      FunctionDescriptor.of(INT, PTR, INT));
  private static final MethodHandle ADD_CHDIR = Syscalls.bind("posix_spawn_file_actions_addchdir_np",
      FunctionDescriptor.of(INT, PTR, PTR));
  /** glibc 2.34 and later; before, the fds open at the spawn are closed one by one. */
  private static final Optional<MethodHandle> ADD_CLOSEFROM = Syscalls.bindIn(Linker.nativeLinker().defaultLookup(),
      "posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(INT, PTR, INT));
  private static final MethodHandle ATTR_INIT = Syscalls.bind("posix_spawnattr_init", FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle ATTR_DESTROY = Syscalls.bind("posix_spawnattr_destroy",
      FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle ATTR_SETFLAGS = Syscalls.bind("posix_spawnattr_setflags",
      FunctionDescriptor.of(INT, PTR, ValueLayout.JAVA_SHORT));
  private static final MethodHandle ATTR_SETSIGMASK = Syscalls.bind("posix_spawnattr_setsigmask",
      FunctionDescriptor.of(INT, PTR, PTR));
  private static final MethodHandle ATTR_SETSIGDEFAULT = Syscalls.bind("posix_spawnattr_setsigdefault",
      FunctionDescriptor.of(INT, PTR, PTR));
  private static final MethodHandle SIGEMPTYSET = Syscalls.bind("sigemptyset", FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle SIGFILLSET = Syscalls.bind("sigfillset", FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle WAITPID = Syscalls.bind("waitpid", FunctionDescriptor.of(INT, INT, PTR, INT));
  private static final MethodHandle KILL = Syscalls.bind("kill", FunctionDescriptor.of(INT, INT, INT));

  private PosixSpawn() {}

  /**
   * Starts the process and returns its pid once it has exec'd (posix_spawn returns only then).
   * A program that cannot be exec'd, or a file action that fails, is an IOException naming it;
   * no process is left behind then.
   */
  public static long spawn(SpawnRequest request) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment actions = arena.allocate(FILE_ACTIONS_BYTES, 16);
      MemorySegment attr = arena.allocate(ATTR_BYTES, 16);
      check("posix_spawn_file_actions_init", (int) ACTIONS_INIT.invokeExact(state, actions));
      try {
        check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(state, attr));
        try {
          addActions(arena, state, actions, request);
          setSignals(arena, state, attr);
          MemorySegment pid = arena.allocate(INT);
          int rc = (int) SPAWNP.invokeExact(state, pid, arena.allocateFrom(request.argv().getFirst()), actions, attr,
              strings(arena, request.argv()), strings(arena, request.environmentStrings()));
          if (rc != 0) {
            throw new IOException(spawnFailure(request, rc));
          }
          return pid.get(INT, 0);
        } finally {
          int ignored = (int) ATTR_DESTROY.invokeExact(state, attr);
        }
      } finally {
        int ignored = (int) ACTIONS_DESTROY.invokeExact(state, actions);
      }
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("cannot start " + request.argv().getFirst() + ": " + t, t);
    }
  }

  /**
   * Starts the process with pipes for the streams the caller wants and hands it to the shared
   * waiter: {@code stdin} bytes are written to a pipe on fd 0 and then closed ({@code null}: fd 0
   * is /dev/null, or what the request's file actions make it when {@code pipeOutput} is false);
   * with {@code pipeOutput}, fds 1 and 2 are pipes whose contents come back in the
   * {@link ChildProcess.Exit}. The request's own file actions run after these; fds from 3 up are
   * closed in the child.
   *
   * @throws IOException naming the program when it cannot be started; nothing is left open then
   */
  public static ChildProcess start(SpawnRequest request, byte[] stdin, boolean pipeOutput) throws IOException {
    List<int[]> pipes = new java.util.ArrayList<>();
    List<SpawnRequest.FileAction> actions = new java.util.ArrayList<>();
    int[] in = null;
    int[] out = null;
    int[] err = null;
    ChildWaiter waiter = ChildWaiter.instance();
    try {
      if (stdin != null) {
        in = addPipe(pipes);
        actions.add(new SpawnRequest.Dup2(in[0], 0));
      } else if (pipeOutput) {
        actions.add(new SpawnRequest.Open(0, Path.of("/dev/null"), O_RDONLY, 0));
      }
      if (pipeOutput) {
        out = addPipe(pipes);
        err = addPipe(pipes);
        actions.add(new SpawnRequest.Dup2(out[1], 1));
        actions.add(new SpawnRequest.Dup2(err[1], 2));
      }
      actions.addAll(request.fileActions());
      actions.add(new SpawnRequest.CloseFrom(3));
      // O_NONBLOCK on the parent's ends before the spawn: after it, nothing may fail between the
      // child's start and the waiter taking it over.
      int parentIn = in == null ? -1 : nonBlocking(in[1]);
      int parentOut = out == null ? -1 : nonBlocking(out[0]);
      int parentErr = err == null ? -1 : nonBlocking(err[0]);
      long pid = spawn(new SpawnRequest(request.argv(), request.environment(), request.workDir(), actions));
      // The child has its copies; the parent keeps only its own end of each pipe.
      pipes.clear();
      closeIfOpen(in == null ? -1 : in[0]);
      closeIfOpen(out == null ? -1 : out[1]);
      closeIfOpen(err == null ? -1 : err[1]);
      try {
        return waiter.watch(pid, new ChildWaiter.ParentEnds(parentIn, stdin, parentOut, parentErr));
      } catch (IOException | RuntimeException e) {
        killAndReap(pid);
        closeIfOpen(parentIn);
        closeIfOpen(parentOut);
        closeIfOpen(parentErr);
        throw e;
      }
    } finally {
      for (int[] pipe : pipes) {
        Syscalls.close(pipe[0]);
        Syscalls.close(pipe[1]);
      }
    }
  }

  private static int nonBlocking(int fd) throws IOException {
    ChildWaiter.setNonBlocking(fd);
    return fd;
  }

  private static void closeIfOpen(int fd) {
    if (fd >= 0) {
      Syscalls.close(fd);
    }
  }

  private static int[] addPipe(List<int[]> pipes) throws IOException {
    int[] pipe = ChildWaiter.pipe();
    pipes.add(pipe);
    return pipe;
  }

  /**
   * Binds the calls and runs the ones that start nothing (file actions and attributes built and
   * destroyed), so that a fresh daemon's first container does not pay for linking them: the AOT
   * cache cannot hold FFM's downcall stubs. posix_spawnp, waitpid and kill are bound, not run;
   * the shared waiter of {@link #start} is started and its pipe calls run once.
   */
  public static void prepareFirstUse() throws IOException {
    SpawnRequest sample = new SpawnRequest(List.of("/bin/true"), java.util.Map.of(), Path.of("/"), List.of(
        new SpawnRequest.Open(0, Path.of("/dev/null"), O_RDONLY, 0), new SpawnRequest.Dup2(0, 1),
        new SpawnRequest.CloseFrom(3)));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment actions = arena.allocate(FILE_ACTIONS_BYTES, 16);
      MemorySegment attr = arena.allocate(ATTR_BYTES, 16);
      check("posix_spawn_file_actions_init", (int) ACTIONS_INIT.invokeExact(state, actions));
      check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(state, attr));
      addActions(arena, state, actions, sample);
      setSignals(arena, state, attr);
      strings(arena, sample.environmentStrings());
      int ignored = (int) ATTR_DESTROY.invokeExact(state, attr);
      ignored = (int) ACTIONS_DESTROY.invokeExact(state, actions);
      ChildWaiter.prepareFirstUse();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("preparing posix_spawn: " + t, t);
    }
  }

  /**
   * Reaps the process if it has ended, waiting for that up to {@code within} without holding a
   * thread of its own (short sleeps between non-blocking waitpid calls). True when it is gone:
   * reaped now, or not a child of this process (reaped already).
   */
  public static boolean reap(long pid, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    long pauseMillis = 1;
    while (true) {
      if (waitStatus(pid, WNOHANG).isPresent()) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, 20);
    }
  }

  /** Waits for the process to end and returns its wait status (see {@link #exitCode}); -1 when not a child. */
  public static int waitFor(long pid) {
    return waitStatus(pid, 0).orElse(-1);
  }

  /** SIGKILL, then reaps it. */
  public static void killAndReap(long pid) {
    try (Arena arena = Arena.ofConfined()) {
      int ignored = (int) KILL.invokeExact(arena.allocate(Syscalls.CALL_STATE), (int) pid, SIGKILL);
    } catch (Throwable t) {
      throw new IllegalStateException("kill " + pid, t);
    }
    waitFor(pid);
  }

  /** The exit code of a wait status, or 128 + the signal that ended the process. */
  public static int exitCode(int waitStatus) {
    int signal = waitStatus & 0x7f;
    return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal;
  }

  /** The wait status when the child has ended (or -1 when it is no child of ours), empty while it runs. */
  static Optional<Integer> waitStatus(long pid, int options) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment status = arena.allocate(INT);
      while (true) {
        int rc = (int) WAITPID.invokeExact(state, (int) pid, status, options);
        if (rc == pid) {
          return Optional.of(status.get(INT, 0));
        }
        if (rc == 0) {
          return Optional.empty();
        }
        int errno = Syscalls.errno(state);
        if (errno != EINTR) {
          if (errno != ECHILD) {
            throw new IllegalStateException("waitpid " + pid + ": " + Syscalls.strerror(errno));
          }
          return Optional.of(-1);
        }
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("waitpid " + pid, t);
    }
  }

  private static void addActions(Arena arena, MemorySegment state, MemorySegment actions, SpawnRequest request)
      throws Throwable {
    check("posix_spawn_file_actions_addchdir_np",
        (int) ADD_CHDIR.invokeExact(state, actions, arena.allocateFrom(request.workDir().toString())));
    for (SpawnRequest.FileAction action : request.fileActions()) {
      switch (action) {
        case SpawnRequest.Open open -> check("posix_spawn_file_actions_addopen", (int) ADD_OPEN.invokeExact(state,
            actions, open.fd(), arena.allocateFrom(open.path().toString()), open.flags(), open.mode()));
        case SpawnRequest.Dup2 dup -> check("posix_spawn_file_actions_adddup2",
            (int) ADD_DUP2.invokeExact(state, actions, dup.from(), dup.to()));
        case SpawnRequest.CloseFrom from -> closeFrom(state, actions, from.lowest());
      }
    }
  }

  private static void closeFrom(MemorySegment state, MemorySegment actions, int lowest) throws Throwable {
    if (ADD_CLOSEFROM.isPresent()) {
      check("posix_spawn_file_actions_addclosefrom_np", (int) ADD_CLOSEFROM.get().invokeExact(actions, lowest));
      return;
    }
    // An fd another thread opens after this listing may leak into the child: only older glibc.
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (int fd : fds.map(p -> Integer.parseInt(p.getFileName().toString())).filter(fd -> fd >= lowest).toList()) {
        check("posix_spawn_file_actions_addclose", (int) ADD_CLOSE.invokeExact(state, actions, fd));
      }
    }
  }

  private static void setSignals(Arena arena, MemorySegment state, MemorySegment attr) throws Throwable {
    MemorySegment none = arena.allocate(SIGSET_BYTES, 8);
    MemorySegment all = arena.allocate(SIGSET_BYTES, 8);
    check("sigemptyset", (int) SIGEMPTYSET.invokeExact(state, none));
    check("sigfillset", (int) SIGFILLSET.invokeExact(state, all));
    check("posix_spawnattr_setsigmask", (int) ATTR_SETSIGMASK.invokeExact(state, attr, none));
    check("posix_spawnattr_setsigdefault", (int) ATTR_SETSIGDEFAULT.invokeExact(state, attr, all));
    check("posix_spawnattr_setflags", (int) ATTR_SETFLAGS.invokeExact(state, attr,
        (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)));
  }

  /** A NULL-terminated array of C strings. */
  private static MemorySegment strings(Arena arena, List<String> values) {
    MemorySegment array = arena.allocate(PTR, values.size() + 1L);
    for (int i = 0; i < values.size(); i++) {
      array.setAtIndex(PTR, i, arena.allocateFrom(values.get(i)));
    }
    array.setAtIndex(PTR, values.size(), MemorySegment.NULL);
    return array;
  }

  /**
   * posix_spawn reports a failed exec and a failed file action with the same errno, so the
   * message says which it can tell: the program missing, or one of the files it was to be given.
   */
  static String spawnFailure(SpawnRequest request, int errno) {
    String program = request.argv().getFirst();
    String base = "cannot start " + program + ": " + Syscalls.strerror(errno) + " (errno " + errno + ")";
    if (program.contains("/") && !Files.isExecutable(Path.of(program))) {
      return base;
    }
    List<String> files = request.fileActions().stream()
        .filter(a -> a instanceof SpawnRequest.Open).map(a -> ((SpawnRequest.Open) a).path().toString()).toList();
    return files.isEmpty() ? base : base + "; the program or one of the files it is given (" + String.join(", ", files)
        + ") is at fault";
  }

  private static void check(String call, int rc) throws IOException {
    // The posix_spawn family returns the error number itself, not -1 and errno.
    if (rc != 0) {
      throw new IOException(call + " failed: " + Syscalls.strerror(rc) + " (errno " + rc + ")");
    }
  }
}
