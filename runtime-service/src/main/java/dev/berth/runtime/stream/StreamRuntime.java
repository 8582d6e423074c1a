package dev.berth.runtime.stream;

import dev.berth.shim.AttachConnection;
import dev.berth.shim.ExecSession;
import java.nio.file.Path;
import java.util.Optional;

/** What the bridges need from the runtime. Calls block (they spawn or connect to conmon). */
public interface StreamRuntime {
  ExecSession exec(StreamRequest.Exec request);

  AttachConnection attach(StreamRequest.Attach request);

  void resize(String containerId, TerminalSize size);

  /**
   * Fails, with a message for the client, unless the container exists and runs. Asked before a
   * stream is upgraded, so that a URL outliving its container is refused rather than accepted.
   */
  void requireRunning(String containerId);

  /** The pod's network namespace file; empty for a pod in the host's network. */
  Optional<Path> networkNamespace(String sandboxId);
}
