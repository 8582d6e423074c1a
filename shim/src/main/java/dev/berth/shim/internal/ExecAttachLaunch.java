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
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The start-up of an exec conmon that a client attaches to ({@code --exec-attach}), as podman
 * does it: conmon reads a first start byte, binds its attach socket and says so on the attach
 * pipe (fd 5), then waits for a second start byte before it runs {@code runtime exec}, so the
 * client is connected before the process writes anything. The sync pipe then carries the pid
 * and, when the process ends, its exit status.
 *
 * <p>The pipes are read on a platform thread, for the reason {@link ConmonLaunch} gives: the
 * sync FIFO stays silent for the exec's whole life, and a virtual thread blocked on it would
 * pin a carrier for that long.
 */
public final class ExecAttachLaunch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExecAttachLaunch.class);
  public static final int ATTACH_FD = 5;

  private final Path sync;
  private final Path start;
  private final Path attach;
  private final Process wrapper;
  private final BlockingQueue<Event> attachEvents = new LinkedBlockingQueue<>();
  private final BlockingQueue<Event> syncEvents = new LinkedBlockingQueue<>();
  private final Thread reader;
  private volatile OutputStream startOut;
  private volatile boolean closing;

  private record Event(SyncMessage message, String failure) {}

  private ExecAttachLaunch(Path sync, Path start, Path attach, Process wrapper, ObjectMapper json) {
    this.sync = sync;
    this.start = start;
    this.attach = attach;
    this.wrapper = wrapper;
    this.reader = Thread.ofPlatform().daemon().name("conmon-exec-" + wrapper.pid()).start(() -> run(json));
  }

  public static ExecAttachLaunch start(List<String> conmonArgv, Path dir, Path output, ObjectMapper json)
      throws IOException {
    Path sync = dir.resolve("sync.fifo");
    Path start = dir.resolve("start.fifo");
    Path attach = dir.resolve("attach.fifo");
    for (Path fifo : List.of(sync, start, attach)) {
      Files.deleteIfExists(fifo);
      Libc.mkfifo(fifo);
    }
    List<String> argv = new java.util.ArrayList<>(List.of("/bin/sh", "-c",
        "exec " + ConmonLaunch.SYNC_FD + ">\"$1\" " + ConmonLaunch.START_FD + "<\"$2\" " + ATTACH_FD
            + ">\"$3\"; shift 3; exec \"$@\"",
        "conmon-wrapper", sync.toString(), start.toString(), attach.toString()));
    argv.addAll(conmonArgv);
    ProcessBuilder builder = new ProcessBuilder(argv)
        .directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
        .redirectErrorStream(true);
    builder.environment().put("_OCI_SYNCPIPE", Integer.toString(ConmonLaunch.SYNC_FD));
    builder.environment().put("_OCI_STARTPIPE", Integer.toString(ConmonLaunch.START_FD));
    builder.environment().put("_OCI_ATTACHPIPE", Integer.toString(ATTACH_FD));
    log.debug("starting {}", argv);
    return new ExecAttachLaunch(sync, start, attach, builder.start(), json);
  }

  private void run(ObjectMapper json) {
    // The wrapper's order: sync, start, attach; the same here or both sides wait for ever.
    try (InputStream syncIn = new FileInputStream(sync.toFile());
         OutputStream out = new FileOutputStream(start.toFile());
         InputStream attachIn = new FileInputStream(attach.toFile())) {
      if (closing) {
        return;
      }
      startOut = out;
      out.write('\n');
      out.flush();
      readMessages(attachIn, json, 1, attachEvents);
      readMessages(syncIn, json, 2, syncEvents);
    } catch (IOException e) {
      attachEvents.add(new Event(null, "conmon pipes: " + e.getMessage()));
      syncEvents.add(new Event(null, "conmon pipes: " + e.getMessage()));
    } finally {
      startOut = null;
    }
  }

  private void readMessages(InputStream in, ObjectMapper json, int expected, BlockingQueue<Event> events)
      throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int received = 0;
    int b;
    while (received < expected && !closing && (b = in.read()) >= 0) {
      if (b != '\n') {
        line.write(b);
        continue;
      }
      String text = line.toString(StandardCharsets.UTF_8).trim();
      line.reset();
      if (!text.isEmpty()) {
        events.add(new Event(SyncMessage.parse(json, text), null));
        received++;
      }
    }
    if (received < expected) {
      events.add(new Event(null, "conmon closed its pipe without reporting"));
    }
  }

  /** Waits until conmon's attach socket is listening. */
  public SyncMessage awaitAttachSocket(Duration timeout) throws IOException, TimeoutException, InterruptedException {
    return next(attachEvents, timeout);
  }

  /** Lets conmon run the process (the second start byte). */
  public void startProcess() throws IOException {
    OutputStream out = startOut;
    if (out == null) {
      throw new IOException("conmon's start pipe is closed");
    }
    out.write('\n');
    out.flush();
  }

  /** The next sync message: the pid first, then the exit status. */
  public SyncMessage next(Duration timeout) throws IOException, TimeoutException, InterruptedException {
    return next(syncEvents, timeout);
  }

  private static SyncMessage next(BlockingQueue<Event> events, Duration timeout)
      throws IOException, TimeoutException, InterruptedException {
    Event event = timeout == null ? events.take() : events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (event == null) {
      throw new TimeoutException("conmon sent nothing within " + timeout);
    }
    if (event.failure() != null) {
      events.add(event);
      throw new IOException(event.failure());
    }
    return event.message();
  }

  @Override
  public void close() {
    closing = true;
    if (wrapper.isAlive()) {
      wrapper.destroyForcibly();
    }
    if (reader.isAlive()) {
      for (Path fifo : List.of(sync, attach)) {
        unblock(fifo, true);
      }
      unblock(start, false);
      try {
        reader.join(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      for (Path fifo : List.of(sync, start, attach)) {
        Files.deleteIfExists(fifo);
      }
    } catch (IOException e) {
      log.warn("could not remove conmon FIFOs: {}", e.toString());
    }
  }

  private static void unblock(Path fifo, boolean wakeReader) {
    try (RandomAccessFile end = new RandomAccessFile(fifo.toFile(), "rw")) {
      if (wakeReader) {
        end.write('\n');
      }
    } catch (IOException e) {
      log.debug("unblocking {}: {}", fifo, e.toString());
    }
  }
}
