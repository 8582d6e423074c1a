package dev.berth.shim.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One conmon start-up: the {@code sh} wrapper that puts the FIFOs on fds 3 and 4, and a reader
 * for the sync FIFO. The FIFO opens block until the wrapper opens the other ends, so they run
 * on a thread of their own and callers wait for messages with a deadline; {@link #close}
 * unblocks that thread whatever state it is in.
 *
 * <p>The reader is a platform thread: opening and reading a FIFO are native calls that the JDK
 * does not hand to its poller, so a virtual thread would pin its carrier for as long as conmon
 * stays quiet (an exec's whole run), and two such execs stop every other virtual thread on a
 * two-core node. A platform thread per launch costs one parked kernel thread for as long as the
 * launch lives; non-blocking FIFOs through epoll would save that at the price of a second I/O
 * model for four lines of JSON.
 */
public final class ConmonLaunch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConmonLaunch.class);
  private static final File DEV_NULL = new File("/dev/null");
  /** The fds conmon reads from {@code _OCI_SYNCPIPE} and {@code _OCI_STARTPIPE}. */
  public static final int SYNC_FD = 3;
  public static final int START_FD = 4;

  private final Path syncFifo;
  private final Path startFifo;
  private final Process wrapper;
  private final Thread reader;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private volatile boolean closing;
  private volatile boolean handshakeDone;
  private final long startedNanos;
  /** When conmon's wrapper had both FIFOs open: the cost of getting conmon going, apart from its work. */
  private volatile long handshakeNanos;

  private record Event(SyncMessage message, String failure) {
  }

  private ConmonLaunch(Path syncFifo, Path startFifo, Process wrapper, ObjectMapper json, int expectedMessages,
      long startedNanos) {
    this.startedNanos = startedNanos;
    this.syncFifo = syncFifo;
    this.startFifo = startFifo;
    this.wrapper = wrapper;
    this.reader = Thread.ofPlatform().daemon().name("conmon-sync-" + wrapper.pid())
        .start(() -> readMessages(json, expectedMessages));
  }

  /**
   * Starts conmon through the wrapper.
   *
   * @param fifoDir          where the sync (and start) FIFOs are made; removed again by {@link #close}
   * @param withStartPipe    hold conmon until the start byte is written (create), or not (exec)
   * @param expectedMessages how many sync messages to read before letting go of the FIFO: conmon
   *                         keeps it open for the container's whole life
   */
  public static ConmonLaunch start(List<String> conmonArgv, Path workDir, Path fifoDir, boolean withStartPipe,
                   int expectedMessages, Path output, ObjectMapper json) throws IOException {
    Path sync = fifoDir.resolve("sync.fifo");
    Path start = withStartPipe ? fifoDir.resolve("start.fifo") : null;
    Files.deleteIfExists(sync);
    Libc.mkfifo(sync);
    if (start != null) {
      Files.deleteIfExists(start);
      Libc.mkfifo(start);
    }
    ProcessBuilder builder = new ProcessBuilder(wrapper(conmonArgv, sync, start))
        .directory(workDir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
        // A file, never a pipe to this JVM: conmon outlives the daemon.
        .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
        .redirectErrorStream(true);
    builder.environment().put("_OCI_SYNCPIPE", Integer.toString(SYNC_FD));
    if (start != null) {
      builder.environment().put("_OCI_STARTPIPE", Integer.toString(START_FD));
    } else {
      builder.environment().remove("_OCI_STARTPIPE");
    }
    log.debug("starting {}", builder.command());
    Process process;
    long spawnedAt = System.nanoTime();
    try {
      process = builder.start();
    } catch (IOException e) {
      deleteFifos(sync, start);
      throw e;
    }
    return new ConmonLaunch(sync, start, process, json, expectedMessages, spawnedAt);
  }

  /**
   * A {@code sh} wrapper that opens the FIFOs as fds 3 and 4 and execs conmon: ProcessBuilder
   * passes a child only fds 0-2. The sync FIFO is opened first, the start FIFO second; whoever
   * holds the other ends must open them in that same order.
   */
  static List<String> wrapper(List<String> conmonArgv, Path syncFifo, Path startFifo) {
    List<String> argv = new ArrayList<>();
    argv.add("/bin/sh");
    argv.add("-c");
    if (startFifo == null) {
      argv.add("exec " + SYNC_FD + ">\"$1\"; shift; exec \"$@\"");
      argv.add("conmon-wrapper");
      argv.add(syncFifo.toString());
    } else {
      argv.add("exec " + SYNC_FD + ">\"$1\" " + START_FD + "<\"$2\"; shift 2; exec \"$@\"");
      argv.add("conmon-wrapper");
      argv.add(syncFifo.toString());
      argv.add(startFifo.toString());
    }
    argv.addAll(conmonArgv);
    return argv;
  }

  private void readMessages(ObjectMapper json, int expected) {
    // Same order as the wrapper: sync first, then start, or both sides wait for ever.
    try (InputStream in = new FileInputStream(syncFifo.toFile())) {
      if (startFifo != null) {
        try (OutputStream out = new FileOutputStream(startFifo.toFile())) {
          if (!closing) {
            out.write('\n');
          }
        }
      }
      handshakeDone = !closing;
      handshakeNanos = System.nanoTime();
      int received = 0;
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while (received < expected && !closing && (b = in.read()) >= 0) {
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
      if (received < expected) {
        events.add(new Event(null, "conmon closed its sync pipe without reporting"));
      }
    } catch (IOException e) {
      events.add(new Event(null, "reading conmon's sync pipe: " + e.getMessage()));
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

  /** Milliseconds from the spawn to the wrapper's opening of both FIFOs (conmon about to start); 0 before that. */
  public double millisToHandshake() {
    long at = handshakeNanos;
    return at == 0 ? 0 : (at - startedNanos) / 1e6;
  }

  /** The pid of the wrapper, which became conmon's first process (it exits once conmon daemonizes). */
  public long wrapperPid() {
    return wrapper.pid();
  }

  @Override
  public void close() {
    closing = true;
    // Until conmon has its start byte it is still the wrapper's process (it daemonizes only
    // after reading the start pipe), blocked on a FIFO: end it before unblocking the FIFOs,
    // or the unblocking would let it go on and create the container after all.
    if (!handshakeDone) {
      wrapper.destroyForcibly();
    }
    if (reader.isAlive()) {
      unblock(syncFifo, true);
      if (startFifo != null) {
        unblock(startFifo, false);
      }
      try {
        reader.join(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    deleteFifos(syncFifo, startFifo);
    // conmon's first process exits as soon as it has forked its daemon; reap it.
    try {
      if (!wrapper.waitFor(2, TimeUnit.SECONDS)) {
        log.warn("conmon {} did not daemonize; killing it", wrapper.pid());
        wrapper.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Opening a FIFO read-write never blocks and gives a blocked open at the other end its
   * partner; a newline wakes a blocked read.
   */
  private static void unblock(Path fifo, boolean wakeReader) {
    try (RandomAccessFile end = new RandomAccessFile(fifo.toFile(), "rw")) {
      if (wakeReader) {
        end.write('\n');
      }
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
