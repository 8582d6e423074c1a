package dev.berth.runtime.stream;

import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.shim.AttachConnection;
import dev.berth.shim.ExecSession;
import java.nio.file.Path;
import java.util.Optional;

/** {@link StreamRuntime} over the container and sandbox managers. */
public final class ContainerStreamRuntime implements StreamRuntime {
  private final ContainerManager containers;
  private final SandboxManager sandboxes;

  public ContainerStreamRuntime(ContainerManager containers, SandboxManager sandboxes) {
    this.containers = containers;
    this.sandboxes = sandboxes;
  }

  @Override
  public ExecSession exec(StreamRequest.Exec request) {
    return containers.execAttached(request.containerId(), request.cmd(), request.stdio().tty(), request.stdio().stdin());
  }

  @Override
  public AttachConnection attach(StreamRequest.Attach request) {
    return containers.attach(request.containerId());
  }

  @Override
  public void resize(String containerId, TerminalSize size) {
    containers.resizeTerminal(containerId, size.height(), size.width());
  }

  @Override
  public void requireRunning(String containerId) {
    Container container = containers.require(containerId);
    if (container.state() != ContainerState.RUNNING) {
      throw new CriException.FailedPrecondition("container " + containerId + " is not running");
    }
  }

  @Override
  public Optional<Path> networkNamespace(String sandboxId) {
    Sandbox sandbox = sandboxes.require(sandboxId);
    String netns = sandbox.netnsPath();
    return netns == null || netns.isEmpty() ? Optional.empty() : Optional.of(Path.of(netns));
  }
}
