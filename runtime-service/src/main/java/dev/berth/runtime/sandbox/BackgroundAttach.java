package dev.berth.runtime.sandbox;

import dev.berth.runtime.cni.CniAttachment;
import dev.berth.runtime.cni.CniException;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.cni.CniResult;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The CNI ADD of a new pod, run on its own thread while the infra container is created and
 * started: the infra only needs the namespace's path, not the network, and the two are the
 * largest steps of RunPodSandbox (tens of ms each, mostly waiting for plugin and runc
 * processes), so overlapping them takes the shorter one off every pod start.
 *
 * <p>{@link #detach} is the undo step: it first waits for the ADD to end, so that a rollback
 * never deletes the network (or the namespace after it) under a plugin that is still adding.
 * An ADD that failed has already deleted what it got done, so detaching after it does nothing.
 */
final class BackgroundAttach {

  private final CniNetwork network;
  private final CniAttachment attachment;
  private final CompletableFuture<CniResult> result = new CompletableFuture<>();
  private volatile long nanos;

  private BackgroundAttach(CniNetwork network, CniAttachment attachment) {
    this.network = network;
    this.attachment = attachment;
  }

  /** Starts CNI ADD of {@code attachment} on a new virtual thread. */
  static BackgroundAttach start(CniNetwork network, CniAttachment attachment) {
    BackgroundAttach attach = new BackgroundAttach(network, attachment);
    Thread.ofVirtual().name("cni-add-" + attachment.sandboxId().substring(0, 12)).start(attach::run);
    return attach;
  }

  private void run() {
    long started = System.nanoTime();
    try {
      CniResult attached = network.attach(attachment);
      nanos = System.nanoTime() - started;
      result.complete(attached);
    } catch (Throwable e) {
      nanos = System.nanoTime() - started;
      result.completeExceptionally(e);
    }
  }

  /** Waits for the ADD; its failure is thrown here as the ADD threw it. */
  CniResult await() throws CniException, InterruptedIOException {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for CNI ADD of " + attachment.sandboxId());
    } catch (ExecutionException e) {
      switch (e.getCause()) {
        case CniException cni -> throw cni;
        case RuntimeException runtime -> throw runtime;
        case Error error -> throw error;
        default -> throw new CniException("CNI ADD of " + attachment.sandboxId() + " failed: " + e.getCause(),
            e.getCause());
      }
    }
  }

  /** How long the ADD took, once {@link #await} has returned or thrown. */
  long nanos() {
    return nanos;
  }

  /** Undo: waits for the ADD to end whatever its outcome, then CNI DEL. */
  void detach() throws CniException {
    // Not interruptible on purpose: deleting the namespace under a running plugin is worse than waiting.
    result.exceptionally(e -> null).join();
    network.detach(attachment);
  }
}
