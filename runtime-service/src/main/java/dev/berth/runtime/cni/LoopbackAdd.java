package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * CNI ADD of the {@code loopback} plugin for a pod's {@code lo}, run as a {@link CniTask} so that
 * it overlaps the configured network's chain. Whoever starts one always waits for it before the
 * namespace can go, so no plugin is ever left running in a namespace being deleted.
 */
final class LoopbackAdd {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TYPE = "loopback";

  private final CniTask<Void> add;

  private LoopbackAdd(CniTask<Void> add) {
    this.add = add;
  }

  static LoopbackAdd start(CniPluginExec exec, CniAttachment attachment, String cniVersion, String args) {
    ObjectNode config = JSON.createObjectNode()
        .put("cniVersion", cniVersion)
        .put("name", "cni-loopback")
        .put("type", TYPE);
    CniPluginExec.Invocation invocation = new CniPluginExec.Invocation(
        "ADD", attachment.sandboxId(), attachment.netns().toString(), "lo", args);
    String id = attachment.sandboxId();
    return new LoopbackAdd(CniTask.start("cni-lo-" + id.substring(0, Math.min(12, id.length())),
        "CNI ADD of loopback", () -> {
          exec.run(TYPE, invocation, config);
          return null;
        }));
  }

  /** Waits for the plugin, not interruptibly; its failure is thrown here. */
  void await() throws CniException {
    add.await();
  }

  /** Waits for the plugin after the chain failed; a loopback failure joins that failure. */
  void awaitQuietly(Throwable chainFailure) {
    try {
      await();
    } catch (CniException | RuntimeException e) {
      chainFailure.addSuppressed(e);
    }
  }
}
