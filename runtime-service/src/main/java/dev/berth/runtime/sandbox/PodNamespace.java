package dev.berth.runtime.sandbox;

/**
 * A namespace a pod's containers may share besides the network one (which is always a pinned
 * file, {@link dev.berth.runtime.netns.NetworkNamespaces}). One more shared namespace is one more
 * constant here and one more case in each {@link PodNamespaces}.
 */
public enum PodNamespace {
  IPC("ipc"),
  UTS("uts"),
  PID("pid"),
  /**
   * The user namespace of a pod that has its own (userns_options mode POD): pinned for both
   * kinds of pod, the infra running in it too; the node's for every other pod.
   */
  USER("user");

  private final String procName;

  PodNamespace(String procName) {
    this.procName = procName;
  }

  /** Its name under {@code /proc/PID/ns/}. */
  public String procName() {
    return procName;
  }

  /** The namespace called {@code procName} ("ipc", "uts", "pid", "user"). */
  public static PodNamespace named(String procName) {
    for (PodNamespace kind : values()) {
      if (kind.procName.equals(procName)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("no pod namespace of type " + procName);
  }
}
