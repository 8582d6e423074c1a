package dev.berth.shim.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.linux.PosixSpawn;
import dev.berth.linux.SpawnRequest;
import dev.berth.linux.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One conmon start-up: conmon spawned directly ({@link PosixSpawn}) with the sync and start FIFOs
 * as its fds 3 and 4, and a reader for the sync FIFO. The daemon opens its ends of both FIFOs
 * before the spawn without waiting (the sync FIFO's read end non-blocking, the start FIFO both
 * ends), so conmon's own opens never wait for the daemon and the spawn returns once conmon runs.
 * conmon reads one byte from its start pipe before it does anything of the container's: the
 * daemon holds it back until {@link #letStart} ({@link StartPipe#HELD}), so that conmon's own
 * start-up (its exec, its libraries, its log) runs beside the daemon's work on the bundle. Callers wait for sync messages
 * with a deadline; {@link #close} unblocks the reader whatever state it is in and reaps conmon's
 * first process, or, when it was never let start, ends it.
 *
 * <p>The reader is a platform thread: reading a FIFO is a native call that the JDK does not
 * hand to its poller, so a virtual thread would pin its carrier for as long as conmon stays
 * quiet (an exec's whole run), and two such execs stop every other virtual thread on a two-core
 * node. A platform thread per launch costs one parked kernel thread for as long as the launch
 * lives; non-blocking FIFOs through epoll would save that at the price of a second I/O model for
 * four lines of JSON.
 */
public final class ConmonLaunch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConmonLaunch.class);
  private static final Path DEV_NULL = Path.of("/dev/null");
  /** The fds conmon reads from {@code _OCI_SYNCPIPE} and {@code _OCI_STARTPIPE}. */
  public static final int SYNC_FD = 3;
  public static final int START_FD = 4;
  /** conmon's first process exits as soon as it has forked its daemon. */
  private static final Duration DAEMONIZE_WAIT = Duration.ofSeconds(2);
  private static final byte[] START_BYTE = {'\n'};

  private final Path syncFifo;
  private final Path startFifo;
  private final long pid;
  private final int syncFd;
  private final Thread reader;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile boolean closing;
  private final long startedNanos;
  /** When conmon was running with both FIFOs open: the cost of getting conmon going, apart from its work. */
  private final long handshakeNanos;

  private record Event(SyncMessage message, String failure) {
  }

  /** What conmon's start pipe gives it. */
  public enum StartPipe {
    /** No start pipe (an exec): conmon goes on at once. */
    NONE,
    /** conmon waits for the start byte until {@link #letStart}. */
    HELD
  }

  /** The daemon's end of a held start FIFO until {@link #letStart}; -1 otherwise. */
  private int heldStartFd;

  private ConmonLaunch(Path syncFifo, Path startFifo, long pid, int syncFd, int heldStartFd, ObjectMapper json,
      int expectedMessages, long startedNanos, long handshakeNanos) {
    this.heldStartFd = heldStartFd;
    this.startedNanos = startedNanos;
    this.handshakeNanos = handshakeNanos;
    this.syncFifo = syncFifo;
    this.startFifo = startFifo;
    this.pid = pid;
    this.syncFd = syncFd;
    this.reader = Thread.ofPlatform().daemon().name("conmon-sync-" + pid)
        .start(() -> readMessages(json, expectedMessages));
  }

  /**
   * Starts conmon.
   *
   * @param fifoDir          where the sync (and start) FIFOs are made; removed again by {@link #close}
   * @param startPipe        whether conmon gets a start pipe, to wait on until {@link #letStart}
   * @param expectedMessages how many sync messages to read before letting go of the FIFO: conmon
   *                         keeps it open for the container's whole life
   */
  public static ConmonLaunch start(List<String> conmonArgv, Path workDir, Path fifoDir, StartPipe startPipe,
                   int expectedMessages, Path output, ObjectMapper json) throws IOException {
    Path sync = fifoDir.resolve("sync.fifo");
    Path start = startPipe != StartPipe.NONE ? fifoDir.resolve("start.fifo") : null;
    Files.deleteIfExists(sync);
    Libc.mkfifo(sync);
    if (start != null) {
      Files.deleteIfExists(start);
      Libc.mkfifo(start);
    }
    long spawnedAt = System.nanoTime();
    int syncFd = -1;
    int startFd = -1;
    try {
      syncFd = Libc.openFifoForReading(sync);
      if (start != null) {
        startFd = Libc.openFifoBothEnds(start);
      }
      SpawnRequest request = spawnRequest(conmonArgv, workDir, sync, start, output, System.getenv());
      log.debug("starting {}", request.argv());
      long pid = PosixSpawn.spawn(request);
      // conmon holds the write end now: reads may wait for its messages, and end when it is gone.
      Libc.setBlocking(syncFd);
      // The start FIFO's end (-1 without one) is the launch's to write or close from here on.
      return new ConmonLaunch(sync, start, pid, syncFd, startFd, json, expectedMessages, spawnedAt, System.nanoTime());
    } catch (IOException | RuntimeException e) {
      if (syncFd >= 0) {
        Syscalls.close(syncFd);
      }
      if (startFd >= 0) {
        Syscalls.close(startFd);
      }
      deleteFifos(sync, start);
      throw e;
    }
  }

  /**
   * Gives a held conmon its start byte: from here on it goes on with the container. The daemon's
   * end is closed, so a conmon that was let start never waits on it again.
   */
  public void letStart() throws IOException {
    if (heldStartFd < 0) {
      throw new IllegalStateException("conmon " + pid + " has no start byte held back");
    }
    try {
      Libc.write(heldStartFd, START_BYTE);
    } finally {
      Syscalls.close(heldStartFd);
      heldStartFd = -1;
    }
  }

  /**
   * How conmon is spawned: stdin /dev/null, stdout and stderr appended to {@code output} (a file,
   * never a pipe to this JVM: conmon outlives the daemon), the sync FIFO as fd 3 and the start
   * FIFO as fd 4, nothing else of the daemon's (the JVM holds jars and Netty's sockets without
   * O_CLOEXEC), and the daemon's environment with conmon's pipe variables.
   */
  static SpawnRequest spawnRequest(List<String> conmonArgv, Path workDir, Path syncFifo, Path startFifo, Path output,
      Map<String, String> daemonEnvironment) {
    List<SpawnRequest.FileAction> actions = new ArrayList<>();
    actions.add(new SpawnRequest.Open(0, DEV_NULL, PosixSpawn.O_RDONLY, 0));
    actions.add(new SpawnRequest.Open(1, output, PosixSpawn.O_WRONLY | PosixSpawn.O_CREAT | PosixSpawn.O_APPEND,
        0644));
    actions.add(new SpawnRequest.Dup2(1, 2));
    actions.add(new SpawnRequest.Open(SYNC_FD, syncFifo, PosixSpawn.O_WRONLY, 0));
    Map<String, String> environment = new HashMap<>(daemonEnvironment);
    environment.put("_OCI_SYNCPIPE", Integer.toString(SYNC_FD));
    if (startFifo != null) {
      actions.add(new SpawnRequest.Open(START_FD, startFifo, PosixSpawn.O_RDONLY, 0));
      environment.put("_OCI_STARTPIPE", Integer.toString(START_FD));
    } else {
      environment.remove("_OCI_STARTPIPE");
    }
    actions.add(new SpawnRequest.CloseFrom(startFifo != null ? START_FD + 1 : SYNC_FD + 1));
    return new SpawnRequest(conmonArgv, environment, workDir, actions);
  }

  private void readMessages(ObjectMapper json, int expected) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Syscalls.CALL_STATE);
      MemorySegment buffer = arena.allocate(4096);
      int received = 0;
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int n = 0;
      while (received < expected && !closing && (n = Libc.read(syncFd, buffer, state)) > 0) {
        for (int i = 0; i < n && received < expected; i++) {
          byte b = buffer.get(ValueLayout.JAVA_BYTE, i);
          if (b != '\n') {
            line.write(b);
            continue;
          }
          String text = line.toString(StandardCharsets.UTF_8).trim();
          line.reset();
          if (text.isEmpty()) {
            continue;
          }
          events.add(new Event(SyncMessage.parse(json, text), null));
          received++;
        }
      }
      if (received < expected) {
        events.add(new Event(null, "conmon closed its sync pipe without reporting"));
      }
    } catch (IOException | RuntimeException e) {
      events.add(new Event(null, "reading conmon's sync pipe: " + e.getMessage()));
    } finally {
      Syscalls.close(syncFd);
    }
  }

  /** The next sync message. */
  public SyncMessage next(Duration timeout) throws IOException, TimeoutException, InterruptedException {
    Event event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (event == null) {
      throw new TimeoutException("conmon sent nothing on its sync pipe within " + timeout);
    }
    if (event.failure() != null) {
      events.add(event);
      throw new IOException(event.failure());
    }
    return event.message();
  }

  /** Milliseconds from the start to conmon running with both FIFOs open. */
  public double millisToHandshake() {
    return (handshakeNanos - startedNanos) / 1e6;
  }

  @Override
  public void close() {
    closing = true;
    if (heldStartFd >= 0) {
      // Never let start, conmon is still its first process, reading its start pipe: it has done
      // nothing of the container's, and ending it ends the sync FIFO's writer and so the reader.
      PosixSpawn.killAndReap(pid);
      Syscalls.close(heldStartFd);
      heldStartFd = -1;
      joinReader();
      deleteFifos(syncFifo, startFifo);
      return;
    }
    if (reader.isAlive()) {
      unblock(syncFifo);
      joinReader();
    }
    deleteFifos(syncFifo, startFifo);
    reapFirstProcess();
  }

  private void joinReader() {
    try {
      reader.join(Duration.ofSeconds(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * conmon's first process exits once it has forked its daemon; it is reaped here, with no
   * thread left waiting for it. A cancelled caller is interrupted: the wait still happens, and
   * the interrupt is kept for the caller.
   */
  private void reapFirstProcess() {
    boolean interrupted = Thread.interrupted();
    boolean gone;
    try {
      gone = PosixSpawn.reap(pid, DAEMONIZE_WAIT);
    } catch (InterruptedException e) {
      interrupted = true;
      gone = false;
    }
    if (!gone) {
      log.warn("conmon {} did not daemonize; killing it", pid);
      PosixSpawn.killAndReap(pid);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Opening a FIFO read-write never blocks; a newline wakes a blocked read. */
  private static void unblock(Path fifo) {
    try (RandomAccessFile end = new RandomAccessFile(fifo.toFile(), "rw")) {
      end.write('\n');
    } catch (IOException e) {
      log.debug("unblocking {}: {}", fifo, e.toString());
    }
  }

  private static void deleteFifos(Path sync, Path start) {
    try {
      Files.deleteIfExists(sync);
      if (start != null) {
        Files.deleteIfExists(start);
      }
    } catch (IOException e) {
      log.warn("could not remove conmon FIFOs: {}", e.toString());
    }
  }
}
