package dev.berth.runtime.stream;

import dev.berth.shim.ExecSession;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one exec for one client: starts it through the shim, feeds it the client's stdin and
 * resizes in order on its own thread, and reports its exit code once its output has drained.
 * A client that goes away takes the exec with it, as with containerd.
 *
 * <p>That thread is a platform thread: a stdin write to conmon's attach socket is a native call
 * that blocks for as long as the process does not read, and on a virtual thread it would pin a
 * carrier for that long. What the client sends meanwhile is bounded by an {@link InputBudget}.
 */
final class ExecBridge implements CommandInput {
  private static final Logger log = LoggerFactory.getLogger(ExecBridge.class);

  private final StreamRuntime runtime;
  private final StreamRequest.Exec request;
  private final CommandOutput output;
  /** stdin, resizes and the end, in the client's order; writes to conmon may block. */
  private final ExecutorService serial =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("exec-in").factory());
  private final InputBudget budget;
  private volatile ExecSession session;
  private volatile boolean gone;

  ExecBridge(StreamRuntime runtime, StreamRequest.Exec request, CommandOutput output) {
    this.runtime = runtime;
    this.request = request;
    this.output = output;
    this.budget = new InputBudget(output);
    serial.execute(this::start);
  }

  private void start() {
    try {
      session = runtime.exec(request);
    } catch (RuntimeException e) {
      log.info("exec {} in {} failed: {}", request.cmd(), request.containerId(), e.getMessage());
      output.finish(new CommandResult.Failed(e.getMessage()));
      serial.shutdown();
      return;
    }
    if (gone) {
      release();
      return;
    }
    OutputPump.start("exec-out-" + session.pid(), session.connection(), output, this::drained);
  }

  private void drained() {
    ExecSession current = session;
    try {
      int code = current.exitCode().get(gone ? 0 : 10, TimeUnit.SECONDS);
      output.finish(new CommandResult.Exited(code));
    } catch (ExecutionException e) {
      output.finish(new CommandResult.Failed(e.getCause().getMessage()));
    } catch (TimeoutException e) {
      output.finish(new CommandResult.Failed("the process closed its output but did not exit"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      serial.execute(this::release);
    }
  }

  private void release() {
    ExecSession current = session;
    if (current != null) {
      current.close();
    }
    serial.shutdown();
  }

  @Override
  public void stdin(byte[] data) {
    budget.taken(data.length);
    submit(() -> {
      try {
        session.connection().writeStdin(data, 0, data.length);
      } catch (IOException e) {
        log.debug("exec stdin: {}", e.toString());
      } finally {
        budget.done(data.length);
      }
    });
  }

  @Override
  public void stdinClosed() {
    submit(() -> session.connection().closeStdin());
  }

  @Override
  public void resize(TerminalSize size) {
    submit(() -> {
      try {
        session.resize(size.height(), size.width());
      } catch (ShimException e) {
        log.debug("exec resize: {}", e.getMessage());
      }
    });
  }

  @Override
  public void clientGone() {
    gone = true;
    ExecSession current = session;
    if (current != null) {
      // Not through the queue, which may wait behind a stdin write the process never reads;
      // not on the event loop either: the kill walks /proc for the process's descendants.
      Thread.ofVirtual().name("exec-gone").start(() -> {
        current.kill();
        current.connection().shutdown();
      });
    }
  }

  private void submit(Runnable task) {
    try {
      serial.execute(() -> {
        if (session != null) {
          task.run();
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // The exec is over; nothing left to feed.
    }
  }
}
