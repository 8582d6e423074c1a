package dev.berth.runtime.stream;

import dev.berth.shim.AttachConnection;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client attached to a running container's stdio through its conmon. The container's exit
 * ends the stream (conmon closes the socket); the client's leaving only detaches it. stdin is
 * written on a platform thread and bounded as {@link ExecBridge} explains.
 */
final class AttachBridge implements CommandInput {
  private static final Logger log = LoggerFactory.getLogger(AttachBridge.class);

  private final StreamRuntime runtime;
  private final StreamRequest.Attach request;
  private final CommandOutput output;
  private final ExecutorService serial =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("attach-in").factory());
  private final InputBudget budget;
  private volatile AttachConnection connection;
  private volatile boolean gone;

  AttachBridge(StreamRuntime runtime, StreamRequest.Attach request, CommandOutput output) {
    this.runtime = runtime;
    this.request = request;
    this.output = output;
    this.budget = new InputBudget(output);
    serial.execute(this::start);
  }

  private void start() {
    try {
      connection = runtime.attach(request);
      if (gone) {
        connection.shutdown();
      }
    } catch (RuntimeException e) {
      log.info("attach to {} failed: {}", request.containerId(), e.getMessage());
      output.finish(new CommandResult.Failed(e.getMessage()));
      serial.shutdown();
      return;
    }
    OutputPump.start("attach-out-" + request.containerId().substring(0, Math.min(12, request.containerId().length())),
        connection, output, () -> {
          output.finish(new CommandResult.Exited(0));
          submit(() -> {
            connection.close();
            serial.shutdown();
          });
        });
  }

  @Override
  public void stdin(byte[] data) {
    budget.taken(data.length);
    submit(() -> {
      try {
        connection.writeStdin(data, 0, data.length);
      } catch (IOException e) {
        log.debug("attach stdin: {}", e.toString());
      } finally {
        budget.done(data.length);
      }
    });
  }

  @Override
  public void stdinClosed() {
    submit(() -> connection.closeStdin());
  }

  @Override
  public void resize(TerminalSize size) {
    submit(() -> {
      try {
        runtime.resize(request.containerId(), size);
      } catch (RuntimeException e) {
        log.debug("attach resize: {}", e.getMessage());
      }
    });
  }

  @Override
  public void clientGone() {
    gone = true;
    AttachConnection current = connection;
    if (current != null) {
      // Directly, not behind a stdin write that the container may never read: this wakes it.
      current.shutdown();
    }
  }

  private void submit(Runnable task) {
    try {
      serial.execute(() -> {
        if (connection != null) {
          task.run();
        }
      });
    } catch (RejectedExecutionException e) {
      // Already over.
    }
  }
}
