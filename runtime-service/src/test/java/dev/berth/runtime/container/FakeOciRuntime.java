package dev.berth.runtime.container;

import dev.berth.shim.AttachConnection;
import dev.berth.shim.CreateRequest;
import dev.berth.shim.CreatedProcess;
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
import java.util.function.BiConsumer;

/**
 * An OCI runtime that runs nothing: it records each call (as "verb id detail") and what it was
 * handed, and answers as a healthy runtime would. A test sets {@link #onKill} to act as the
 * container's exit would.
 */
final class FakeOciRuntime implements OciRuntime {

  final List<String> calls = new CopyOnWriteArrayList<>();
  /** The process objects handed to exec, as JSON. */
  final List<String> execProcesses = new CopyOnWriteArrayList<>();
  /** The resources objects handed to update, as JSON. */
  final List<String> updates = new CopyOnWriteArrayList<>();
  volatile BiConsumer<String, Integer> onKill = (id, signal) -> { };

  @Override
  public CreatedProcess create(CreateRequest request) {
    calls.add("create " + request.id());
    return new CreatedProcess(4242, 4241);
  }

  @Override
  public void start(String id) {
    calls.add("start " + id);
  }

  @Override
  public void kill(String id, int signal, boolean all) {
    calls.add("kill " + id + " " + signal + (all ? " all" : ""));
    onKill.accept(id, signal);
  }

  @Override
  public void delete(String id) {
    calls.add("delete " + id);
  }

  @Override
  public void pause(String id) {
    calls.add("pause " + id);
  }

  @Override
  public void resume(String id) {
    calls.add("resume " + id);
  }

  @Override
  public Optional<RuntimeState> state(String id) {
    return Optional.empty();
  }

  @Override
  public ExecResult execSync(String id, String processJson, Duration timeout) {
    calls.add("exec " + id);
    execProcesses.add(processJson);
    return new ExecResult(0, "ok\n".getBytes(), new byte[0], false, false);
  }

  @Override
  public ExecSession execAttached(String id, String processJson, boolean tty, boolean stdin) throws ShimException {
    calls.add("exec-attached " + id);
    execProcesses.add(processJson);
    throw new ShimException("the fake runtime attaches no stdio");
  }

  @Override
  public void updateResources(String id, String linuxResourcesJson) {
    calls.add("update " + id);
    updates.add(linuxResourcesJson);
  }

  @Override
  public void checkpoint(String id, Path imageDir, Path workDir, boolean leaveRunning) {
    calls.add("checkpoint " + id);
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
  public AttachConnection attach(String id) throws ShimException {
    throw new ShimException("the fake runtime attaches no stdio");
  }

  @Override
  public void resize(String id, int height, int width) {
    calls.add("resize " + id);
  }

  @Override
  public void reopenLog(String id) {
    calls.add("reopen-log " + id);
  }

  @Override
  public Optional<Long> shimPid(String id) {
    return Optional.of(4241L);
  }

  @Override
  public boolean isShimAlive(String id) {
    return true;
  }
}
