package dev.berth.runtime.oci;

import java.util.ArrayList;
import java.util.List;

/**
 * Which Linux namespaces a container gets: a path joins an existing one, {@code NEW} makes a
 * fresh one, {@code HOST} (null in the spec) stays in the node's. Every container gets a mount
 * namespace of its own. A new kind (user) is one component here and one line in {@link #namespaces}.
 */
public record NamespacePlan(String network, String pid, String ipc, String uts) {

  public static final String NEW = "";
  public static final String HOST = null;

  /** The spec's {@code linux.namespaces}, in the order runc has always been given them. */
  public List<OciSpec.Namespace> namespaces() {
    List<OciSpec.Namespace> list = new ArrayList<>();
    list.add(new OciSpec.Namespace("mount", null));
    add(list, "network", network);
    add(list, "pid", pid);
    add(list, "ipc", ipc);
    add(list, "uts", uts);
    return List.copyOf(list);
  }

  private static void add(List<OciSpec.Namespace> list, String type, String path) {
    // HOST is null: the node's namespace, so none in the spec.
    if (path != null) {
      list.add(new OciSpec.Namespace(type, path.isEmpty() ? null : path));
    }
  }
}
