package dev.berth.linux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The one thread that watches every {@link ChildProcess}: a poll(2) loop over each child's pidfd
 * (readable once it has exited), the parent's ends of its pipes (stdin fed, stdout and stderr
 * drained, all non-blocking) and a wake-up pipe for new children. It reaps each child with
 * waitpid on its own pid, never waitpid(-1), so processes reaped elsewhere (conmon's first
 * process, the JDK's own) are left alone.
 *
 * <p>Why one thread: the JDK's {@link ProcessBuilder} keeps a "process reaper" thread per live
 * child and Berth's callers kept a virtual thread per pipe; a blocking waitpid per child on a
 * virtual thread would pin its carrier. A platform thread is needed because poll blocks in native
 * code. With the CNI plugins and runc calls moved here, the daemon's threads at the peak of a
 * `bin/bench-compare --only-berth --runs 2 --rounds 2 -- --workloads pod-start,pod-start-shared-pid`
 * run went 63 -> 40 and its reaped children's CPU ~10% down (one jspawnhelper exec less per call;
 * bench/README.md, 2026-12-07 13:50).
 */
final class ChildWaiter implements Runnable {

  /** Output still arriving after the exit comes from a grandchild holding the pipe; give it this long. */
  static final long OUTPUT_AFTER_EXIT_NANOS = 2_000_000_000L;
  /** What is kept of one stream; more is read and dropped, so that a chatty child never blocks. */
  private static final int MAX_OUTPUT_BYTES = 4 << 20;

  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 02000000;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  private static final short POLLIN = 0x1;
  private static final short POLLOUT = 0x4;
  private static final int EAGAIN = 11;
  private static final int EINTR = 4;
  private static final long SYS_PIDFD_SEND_SIGNAL = 424;
  private static final long SYS_PIDFD_OPEN = 434;
  private static final int SIGKILL = 9;
  private static final int WNOHANG = 1;
  private static final int READ_CHUNK = 65536;

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

  private static final MethodHandle PIPE2 = Syscalls.bind("pipe2", FunctionDescriptor.of(INT, PTR, INT));
  private static final MethodHandle FCNTL = Syscalls.bind("fcntl", FunctionDescriptor.of(INT, INT, INT, INT),
      Linker.Option.firstVariadicArg(2));
  private static final MethodHandle POLL = Syscalls.bind("poll", FunctionDescriptor.of(INT, PTR, LONG, INT));
  private static final MethodHandle READ = Syscalls.bind("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
  private static final MethodHandle WRITE = Syscalls.bind("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
  // pidfd_open and pidfd_send_signal through syscall(2): their glibc wrappers are 2.36 and later,
  // and the numbers are the same on every architecture (added after the tables were unified).
  private static final MethodHandle SYSCALL_2 = Syscalls.bind("syscall", FunctionDescriptor.of(LONG, LONG, LONG, LONG),
      Linker.Option.firstVariadicArg(1));
  private static final MethodHandle SYSCALL_4 = Syscalls.bind("syscall",
      FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG, LONG), Linker.Option.firstVariadicArg(1));

  private static final class Holder {
    static final ChildWaiter INSTANCE = start();
  }

  private final ConcurrentLinkedQueue<Watched> arrivals = new ConcurrentLinkedQueue<>();
  /** Set if the loop ever fails: a new child is then refused (and killed by the caller) rather than never reaped. */
  private volatile Throwable stopped;
  private final int wakeRead;
  private final int wakeWrite;

  private ChildWaiter(int[] wakePipe) {
    this.wakeRead = wakePipe[0];
    this.wakeWrite = wakePipe[1];
  }

  private static ChildWaiter start() {
    try {
      int[] wake = pipe();
      setNonBlocking(wake[0]);
      setNonBlocking(wake[1]);
      ChildWaiter waiter = new ChildWaiter(wake);
      // Its frames are few and shallow: a small stack keeps its share of the daemon's RSS small.
      Thread.ofPlatform().name("berth-child-waiter").daemon().stackSize(256 * 1024).start(waiter);
      return waiter;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the child waiter", e);
    }
  }

  static ChildWaiter instance() {
    return Holder.INSTANCE;
  }

  /** The pipes of one child as the parent holds them; -1 for a stream that is no pipe. */
  record ParentEnds(int stdin, byte[] stdinBytes, int stdout, int stderr) {}

  /** Starts watching a child that posix_spawn has just started (not yet reaped by anyone). */
  ChildProcess watch(long pid, ParentEnds ends) throws IOException {
    if (stopped != null) {
      throw new IOException("the child waiter has stopped", stopped);
    }
    int pidfd = pidfdOpen(pid);
    ChildProcess child = new ChildProcess(pid, pidfd);
    arrivals.add(new Watched(child, ends));
    wake();
    return child;
  }

  private void wake() {
    try (Arena arena = Arena.ofConfined()) {
      // A full wake pipe (EAGAIN) already holds a wake-up; nothing else can fail here.
      long ignored = (long) WRITE.invokeExact(arena.allocate(Syscalls.CALL_STATE), wakeWrite, arena.allocate(1), 1L);
    } catch (Throwable t) {
      throw new IllegalStateException("waking the child waiter", t);
    }
  }

  /** One child's state, touched only by the waiter's thread. */
  private static final class Watched {
    final ChildProcess child;
    int stdin;
    final byte[] stdinBytes;
    int stdinOffset;
    int stdout;
    int stderr;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    int waitStatus = Integer.MIN_VALUE;
    long outputDeadline;

    Watched(ChildProcess child, ParentEnds ends) {
      this.child = child;
      this.stdin = ends.stdin();
      this.stdinBytes = ends.stdinBytes() == null ? new byte[0] : ends.stdinBytes();
      this.stdout = ends.stdout();
      this.stderr = ends.stderr();
    }

    boolean exited() {
      return waitStatus != Integer.MIN_VALUE;
    }

    void closeAll() {
      stdin = closed(stdin);
      stdout = closed(stdout);
      stderr = closed(stderr);
    }
  }

  @Override
  public void run() {
    List<Watched> watched = new ArrayList<>();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment chunk = arena.allocate(READ_CHUNK);
      MemorySegment pollfds = arena.allocate(8L * 64, 8);
      List<Runnable> handlers = new ArrayList<>();
      while (true) {
        for (Watched w; (w = arrivals.poll()) != null; ) {
          watched.add(w);
        }
        long slots = 1 + 4L * watched.size();
        if (pollfds.byteSize() < 8 * slots) {
          pollfds = arena.allocate(8 * slots * 2, 8);
        }
        handlers.clear();
        int n = 0;
        setPollFd(pollfds, n++, wakeRead, POLLIN);
        handlers.add(this::drainWake);
        long now = System.nanoTime();
        long timeoutNanos = -1;
        for (Watched w : watched) {
          int pidfd = w.exited() ? -1 : w.child.pidfd();
          if (pidfd >= 0) {
            setPollFd(pollfds, n++, pidfd, POLLIN);
            handlers.add(() -> reapIfEnded(w));
          } else if (w.exited()) {
            long left = Math.max(0, w.outputDeadline - now);
            timeoutNanos = timeoutNanos < 0 ? left : Math.min(timeoutNanos, left);
          }
          if (w.stdin >= 0) {
            setPollFd(pollfds, n++, w.stdin, POLLOUT);
            handlers.add(() -> feed(w, state));
          }
          if (w.stdout >= 0) {
            setPollFd(pollfds, n++, w.stdout, POLLIN);
            handlers.add(() -> w.stdout = drain(w.stdout, w.out, chunk, state));
          }
          if (w.stderr >= 0) {
            setPollFd(pollfds, n++, w.stderr, POLLIN);
            handlers.add(() -> w.stderr = drain(w.stderr, w.err, chunk, state));
          }
        }
        int timeoutMillis = timeoutNanos < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000);
        int ready = (int) POLL.invokeExact(state, pollfds, (long) n, timeoutMillis);
        if (ready < 0 && Syscalls.errno(state) != EINTR) {
          throw new IllegalStateException("poll: " + Syscalls.strerror(Syscalls.errno(state)));
        }
        for (int i = 0; ready > 0 && i < n; i++) {
          if (pollfds.get(ValueLayout.JAVA_SHORT, 8L * i + 6) != 0) {
            handlers.get(i).run();
          }
        }
        finishEnded(watched);
      }
    } catch (Throwable t) {
      // Never expected; the children's waiters must not hang for good if it happens.
      IllegalStateException failure = new IllegalStateException("the child waiter stopped", t);
      stopped = failure;
      for (Watched w : watched) {
        w.child.fail(failure);
      }
      for (Watched w; (w = arrivals.poll()) != null; ) {
        w.child.fail(failure);
      }
      throw failure;
    }
  }

  private static void setPollFd(MemorySegment pollfds, int index, int fd, short events) {
    pollfds.set(INT, 8L * index, fd);
    pollfds.set(ValueLayout.JAVA_SHORT, 8L * index + 4, events);
    pollfds.set(ValueLayout.JAVA_SHORT, 8L * index + 6, (short) 0);
  }

  private void drainWake() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment buffer = arena.allocate(256);
      while ((long) READ.invokeExact(state, wakeRead, buffer, 256L) > 0) {
        // every byte is the same wake-up
      }
    } catch (Throwable t) {
      throw new IllegalStateException("draining the wake pipe", t);
    }
  }

  private static void reapIfEnded(Watched w) {
    Optional<Integer> status = PosixSpawn.waitStatus(w.child.pid(), WNOHANG);
    if (status.isPresent()) {
      w.waitStatus = status.get();
      w.outputDeadline = System.nanoTime() + OUTPUT_AFTER_EXIT_NANOS;
      w.child.reaped();
    }
  }

  /** Writes what the child's stdin can take now; closes it when all is written or the child stopped reading. */
  private static void feed(Watched w, MemorySegment state) {
    try (Arena arena = Arena.ofConfined()) {
      int left = w.stdinBytes.length - w.stdinOffset;
      if (left > 0) {
        MemorySegment bytes = arena.allocate(left);
        MemorySegment.copy(w.stdinBytes, w.stdinOffset, bytes, ValueLayout.JAVA_BYTE, 0, left);
        long written = (long) WRITE.invokeExact(state, w.stdin, bytes, (long) left);
        if (written > 0) {
          w.stdinOffset += (int) written;
        } else if (Syscalls.errno(state) == EAGAIN || Syscalls.errno(state) == EINTR) {
          return;
        }
        // Otherwise EPIPE: the child exited or closed its stdin; its exit code tells the story.
        else {
          w.stdinOffset = w.stdinBytes.length;
        }
      }
      if (w.stdinOffset >= w.stdinBytes.length) {
        w.stdin = closed(w.stdin);
      }
    } catch (Throwable t) {
      throw new IllegalStateException("feeding stdin of " + w.child.pid(), t);
    }
  }

  /** Reads what is there; returns the fd, or -1 once it is at its end (and closed). */
  private static int drain(int fd, ByteArrayOutputStream into, MemorySegment chunk, MemorySegment state) {
    try {
      while (true) {
        long n = (long) READ.invokeExact(state, fd, chunk, (long) READ_CHUNK);
        if (n > 0) {
          int keep = (int) Math.min(n, MAX_OUTPUT_BYTES - into.size());
          if (keep > 0) {
            into.write(chunk.asSlice(0, keep).toArray(ValueLayout.JAVA_BYTE), 0, keep);
          }
          if (n < READ_CHUNK) {
            return fd;
          }
          continue;
        }
        if (n < 0 && (Syscalls.errno(state) == EAGAIN || Syscalls.errno(state) == EINTR)) {
          return fd;
        }
        return closed(fd);
      }
    } catch (Throwable t) {
      throw new IllegalStateException("reading fd " + fd, t);
    }
  }

  /** Completes the children that are reaped and whose output has ended, or whose grace for it has run out. */
  private static void finishEnded(List<Watched> watched) {
    long now = System.nanoTime();
    for (Iterator<Watched> it = watched.iterator(); it.hasNext(); ) {
      Watched w = it.next();
      if (!w.exited()) {
        continue;
      }
      boolean outputEnded = w.stdout < 0 && w.stderr < 0;
      if (outputEnded || now - w.outputDeadline >= 0) {
        w.closeAll();
        it.remove();
        w.child.complete(new ChildProcess.Exit(PosixSpawn.exitCode(w.waitStatus), w.out.toByteArray(),
            w.err.toByteArray()));
      }
    }
  }

  private static int closed(int fd) {
    if (fd >= 0) {
      Syscalls.close(fd);
    }
    return -1;
  }

  /** A pipe whose both ends close on exec: [read end, write end]. */
  static int[] pipe() throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment fds = arena.allocate(INT, 2);
      if ((int) PIPE2.invokeExact(state, fds, O_CLOEXEC) != 0) {
        throw new IOException("pipe2: " + Syscalls.strerror(Syscalls.errno(state)));
      }
      return new int[] {fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1)};
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("pipe2", t);
    }
  }

  /** O_NONBLOCK on the parent's end only: each end of a pipe is its own open file, so the child's end stays blocking. */
  static void setNonBlocking(int fd) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      int flags = (int) FCNTL.invokeExact(state, fd, F_GETFL, 0);
      if (flags < 0 || (int) FCNTL.invokeExact(state, fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        throw new IOException("fcntl O_NONBLOCK on fd " + fd + ": " + Syscalls.strerror(Syscalls.errno(state)));
      }
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("fcntl", t);
    }
  }

  private static int pidfdOpen(long pid) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      long fd = (long) SYSCALL_2.invokeExact(state, SYS_PIDFD_OPEN, pid, 0L);
      if (fd < 0) {
        throw new IOException("pidfd_open " + pid + ": " + Syscalls.strerror(Syscalls.errno(state)));
      }
      return (int) fd;
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("pidfd_open " + pid, t);
    }
  }

  static void sendKill(int pidfd) {
    try (Arena arena = Arena.ofConfined()) {
      // ESRCH (it has exited, not yet reaped) needs nothing more.
      long ignored = (long) SYSCALL_4.invokeExact(arena.allocate(Syscalls.CALL_STATE), SYS_PIDFD_SEND_SIGNAL,
          (long) pidfd, (long) SIGKILL, 0L, 0L);
    } catch (Throwable t) {
      throw new IllegalStateException("pidfd_send_signal", t);
    }
  }

  /**
   * Binds and runs once the calls a first child needs (pipe2, fcntl, poll on the waiter's thread,
   * started now), so that a fresh daemon's first pod does not pay for linking them.
   */
  static void prepareFirstUse() throws IOException {
    instance();
    int[] fds = pipe();
    try {
      setNonBlocking(fds[0]);
    } finally {
      closed(fds[0]);
      closed(fds[1]);
    }
  }
}
