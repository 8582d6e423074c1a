package dev.berth.runtime.sandbox;

import dev.berth.runtime.cni.CniAttachment;
import dev.berth.runtime.cni.CniException;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.cni.CniResult;
import dev.berth.runtime.cni.CniTask;
import java.io.InterruptedIOException;

/**
 * The CNI ADD of a new pod, run on its own thread while the infra container is created and
 * started: the infra only needs the namespace's path, not the network, and the two are the
 * largest steps of RunPodSandbox (tens of ms each, mostly waiting for plugin and runc
 * processes), so overlapping them takes the shorter one off every pod start.
 *
 * <p>The undo's CNI DEL first waits for the ADD to end ({@link #awaitEnd}), so that a rollback
 * never deletes the network (or the namespace after it) under a plugin that is still adding.
 * An ADD that failed has already deleted what it got done, so the DEL after it does nothing.
 */
final class BackgroundAttach {

  private final CniTask<CniResult> add;

  private BackgroundAttach(CniTask<CniResult> add) {
    this.add = add;
  }

  /** Starts CNI ADD of {@code attachment} on a new virtual thread. */
  static BackgroundAttach start(CniNetwork network, CniAttachment attachment) {
    String id = attachment.sandboxId();
    return new BackgroundAttach(
        CniTask.start("cni-add-" + id.substring(0, 12), "CNI ADD of " + id, () -> network.attach(attachment)));
  }

  /** Waits for the ADD; its failure is thrown here as the ADD threw it. */
  CniResult await() throws CniException, InterruptedIOException {
    return add.awaitInterruptibly();
  }

  /** How long the ADD took, once {@link #await} has returned or thrown. */
  long nanos() {
    return add.nanos();
  }

  /** Before the undo's CNI DEL: waits (not interruptibly) for the ADD to end whatever its outcome. */
  void awaitEnd() {
    add.awaitEnd();
  }
}
