package dev.berth.runtime.oci;

/**
 * Which Linux namespaces a container gets: a path joins an existing one, {@code NEW} makes a
 * fresh one, {@code HOST} (null in the spec) stays in the node's.
 */
public record NamespacePlan(String network, String pid, String ipc, String uts) {

  public static final String NEW = "";
  public static final String HOST = null;
}
