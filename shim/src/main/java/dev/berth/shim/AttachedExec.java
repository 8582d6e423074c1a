package dev.berth.shim;

import dev.berth.shim.internal.ExecAttachLaunch;
import dev.berth.shim.internal.ExecDirs;
import dev.berth.shim.internal.Libc;
import dev.berth.shim.internal.ProcFs;
import dev.berth.shim.internal.RuncCli;
import dev.berth.shim.internal.SyncMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A running {@link ExecSession}: the launch that reports its exit, its connection and its files. */
final class AttachedExec implements ExecSession {
  private static final Logger log = LoggerFactory.getLogger(AttachedExec.class);

  private final ExecAttachLaunch launch;
  private final AttachConnection connection;
  private final long pid;
  private final Path dir;
  private final ExecDirs dirs;
  private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
  private boolean closed;

  AttachedExec(ExecAttachLaunch launch, AttachConnection connection, long pid, Path dir, ExecDirs dirs) {
    this.launch = launch;
    this.connection = connection;
    this.pid = pid;
    this.dir = dir;
    this.dirs = dirs;
    Thread.ofVirtual().name("exec-wait-" + pid).start(this::awaitExit);
  }

  private void awaitExit() {
    try {
      SyncMessage ended = launch.next(null);
      if (ended.failed() && ended.message() != null) {
        exitCode.completeExceptionally(new ShimException(RuncCli.errorText(ended.message())));
      } else {
        exitCode.complete(ended.data());
      }
    } catch (IOException | java.util.concurrent.TimeoutException e) {
      exitCode.completeExceptionally(e);
    } catch (InterruptedException e) {
      exitCode.completeExceptionally(e);
    }
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public AttachConnection connection() {
    return connection;
  }

  @Override
  public CompletableFuture<Integer> exitCode() {
    return exitCode;
  }

  @Override
  public void resize(int height, int width) throws ShimException {
    try {
      Libc.writeToFifo(dir.resolve("ctl"), ("1 " + height + " " + width + "\n").getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new ShimException("resizing exec " + pid + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void kill() {
    if (!exitCode.isDone()) {
      ProcessHandle.of(pid).ifPresent(process -> {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      });
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    kill();
    try {
      exitCode.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("exec {} did not report its exit: {}", pid, e.toString());
    }
    // conmon exits once the process has and its output is drained; wait so no file comes back.
    ProcFs.readPid(dir.resolve("conmon.pid")).flatMap(ProcessHandle::of).ifPresent(conmon -> {
      try {
        conmon.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("exec conmon {} still running; killing it", conmon.pid());
        conmon.destroyForcibly();
      }
    });
    launch.close();
    dirs.release(dir);
  }

}
