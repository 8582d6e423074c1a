package dev.berth.runtime.sandbox;

import dev.berth.shim.AttachConnection;
import dev.berth.shim.CreateRequest;
import dev.berth.shim.CreatedProcess;
import dev.berth.shim.DetachedRuntime;
import dev.berth.shim.ExecResult;
import dev.berth.shim.ExecSession;
import dev.berth.shim.ExitRecord;
import dev.berth.shim.OciRuntime;
import dev.berth.shim.RuntimeState;
import dev.berth.shim.ShimException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A runtime that runs nothing, as an infra sees it: it records each call ("verb id detail") and
 * answers with what the test set. What an infra must never ask for (a conmon create or start, an
 * exec, an attach) fails the test.
 */
final class FakeInfraRuntime implements OciRuntime, DetachedRuntime {

  final List<String> calls = new CopyOnWriteArrayList<>();
  volatile long pid = 4242;
  /** Whether ids were run detached by this Berth, or under a conmon by an earlier one. */
  volatile boolean detached = true;
  volatile boolean detachedRunning = true;
  volatile boolean shimAlive;
  /** The runtime's answer to state; null: runc itself fails. */
  volatile RuntimeState.Status status = RuntimeState.Status.RUNNING;

  @Override
  public long runDetached(String id, Path bundle, String runtimeHandler, Duration timeout) {
    calls.add("run " + id + " " + bundle + " handler=" + runtimeHandler);
    return pid;
  }

  @Override
  public boolean isDetached(String id) {
    return detached;
  }

  @Override
  public boolean isDetachedRunning(String id) {
    return detachedRunning;
  }

  @Override
  public boolean isShimAlive(String id) {
    return shimAlive;
  }

  @Override
  public Optional<RuntimeState> state(String id) throws ShimException {
    if (status == null) {
      throw new ShimException("runc: exec format error");
    }
    return Optional.of(new RuntimeState(id, status, pid, Path.of("/bundle")));
  }

  @Override
  public void kill(String id, int signal, boolean all) {
    calls.add("kill " + id + " " + signal + (all ? " all" : ""));
    status = RuntimeState.Status.STOPPED;
  }

  @Override
  public void delete(String id) {
    calls.add("delete " + id);
  }

  @Override
  public CreatedProcess create(CreateRequest request) {
    throw new AssertionError("an infra is run detached, never created under a conmon");
  }

  @Override
  public void start(String id) {
    throw new AssertionError("an infra runs in one call, never started apart");
  }

  @Override
  public void pause(String id) {
    throw new AssertionError("an infra is never paused");
  }

  @Override
  public void resume(String id) {
    throw new AssertionError("an infra is never resumed");
  }

  @Override
  public ExecResult execSync(String id, String processJson, Duration timeout) {
    throw new AssertionError("nothing execs in an infra");
  }

  @Override
  public ExecSession execAttached(String id, String processJson, boolean tty, boolean stdin) {
    throw new AssertionError("nothing execs in an infra");
  }

  @Override
  public void updateResources(String id, String linuxResourcesJson) {
    throw new AssertionError("an infra's resources are its pod cgroup's");
  }

  @Override
  public void checkpoint(String id, Path imageDir, Path workDir, boolean leaveRunning) {
    throw new AssertionError("an infra is never checkpointed");
  }

  @Override
  public Optional<ExitRecord> exit(String id) {
    return Optional.empty();
  }

  @Override
  public boolean oomKilled(String id) {
    return false;
  }

  @Override
  public AttachConnection attach(String id) {
    throw new AssertionError("an infra has no stdio to attach to");
  }

  @Override
  public void resize(String id, int height, int width) {
    throw new AssertionError("an infra has no terminal");
  }

  @Override
  public void reopenLog(String id) {
    throw new AssertionError("an infra has no log");
  }

  @Override
  public Optional<Long> shimPid(String id) {
    return Optional.empty();
  }
}
