package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * CNI ADD of the {@code loopback} plugin for a pod's {@code lo}, run on its own virtual thread so
 * that it overlaps the configured network's chain. Whoever starts one always waits for it before
 * the namespace can go, so no plugin is ever left running in a namespace being deleted.
 */
final class LoopbackAdd {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TYPE = "loopback";

  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private LoopbackAdd() {}

  static LoopbackAdd start(CniPluginExec exec, CniAttachment attachment, String cniVersion, String args) {
    ObjectNode config = JSON.createObjectNode()
        .put("cniVersion", cniVersion)
        .put("name", "cni-loopback")
        .put("type", TYPE);
    CniPluginExec.Invocation add = new CniPluginExec.Invocation(
        "ADD", attachment.sandboxId(), attachment.netns().toString(), "lo", args);
    LoopbackAdd loopback = new LoopbackAdd();
    Thread.ofVirtual().name("cni-lo-" + attachment.sandboxId().substring(0, Math.min(12,
        attachment.sandboxId().length()))).start(() -> {
          try {
            exec.run(TYPE, add, config);
            loopback.done.complete(null);
          } catch (Throwable e) {
            loopback.done.completeExceptionally(e);
          }
        });
    return loopback;
  }

  /** Waits for the plugin; its failure is thrown here as the plugin's run threw it. */
  void await() throws CniException {
    try {
      joinUninterruptibly();
    } catch (ExecutionException e) {
      switch (e.getCause()) {
        case CniException cni -> throw cni;
        case RuntimeException runtime -> throw runtime;
        case Error error -> throw error;
        default -> throw new CniException("CNI ADD of loopback failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** Waits for the plugin after the chain failed; a loopback failure joins that failure. */
  void awaitQuietly(Throwable chainFailure) {
    try {
      await();
    } catch (CniException | RuntimeException e) {
      chainFailure.addSuppressed(e);
    }
  }

  /**
   * Not interruptible on purpose: the caller's next step may delete the namespace, which must
   * not happen under a plugin that is still running. The plugin itself is bounded by the CNI
   * plugin timeout.
   */
  private void joinUninterruptibly() throws ExecutionException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          done.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
