package dev.berth.runtime.oci;

import java.util.ArrayList;
import java.util.List;

/**
 * Which Linux namespaces a container gets: a path joins an existing one, {@code NEW} makes a
 * fresh one, {@code HOST} (null in the spec) stays in the node's. Every container gets a mount
 * namespace of its own. A new kind is one component here and one line in {@link #namespaces}.
 *
 * @param user the pod's pinned user namespace to join, or {@code HOST}: only a pod with a user
 *     namespace of its own (userns_options mode POD) has one, and its containers always join it
 */
public record NamespacePlan(String network, String pid, String ipc, String uts, String user) {

  public static final String NEW = "";
  public static final String HOST = null;

  /** In the node's user namespace, as every pod without one of its own. */
  public NamespacePlan(String network, String pid, String ipc, String uts) {
    this(network, pid, ipc, uts, HOST);
  }

  /** The same plan joining the user namespace at {@code path} (HOST: the node's). */
  public NamespacePlan withUser(String path) {
    return new NamespacePlan(network, pid, ipc, uts, path);
  }

  /** The spec's {@code linux.namespaces}, in the order runc has always been given them. */
  public List<OciSpec.Namespace> namespaces() {
    List<OciSpec.Namespace> list = new ArrayList<>();
    // First, as runc has been given it since user namespaces: the others are owned by it.
    add(list, "user", user);
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
