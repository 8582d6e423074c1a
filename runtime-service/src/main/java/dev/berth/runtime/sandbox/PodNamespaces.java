package dev.berth.runtime.sandbox;

import dev.berth.runtime.model.StepTimes;
import dev.berth.runtime.model.ReleaseStep;
import dev.berth.runtime.userns.NamespaceHolder;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.util.Optional;

/**
 * How a pod holds the namespaces its containers share: an infra process ({@link InfraProcess})
 * or files that pin them ({@link PinnedNamespaces}). Chosen once per pod when it is run
 * ({@link PodNamespaceChoice}) and known from its record afterwards; whatever depends on the
 * choice (where a container joins, whether the pod is alive, what its release does, whether a
 * shim is watched) asks this object instead of testing the record. The network namespace is a
 * pinned file for both, made before and released after this object's part. A pod's own user
 * namespace is this object's part for both (pinned, {@link PodNamespace#USER}), with the
 * idmapped mounts staged for the pod ({@link dev.berth.runtime.userns.IdmapStaging}).
 */
public interface PodNamespaces {

  /**
   * What a new pod's namespaces are made from.
   *
   * @param userNamespace for a pod with a user namespace of its own, the process that made it
   *     (with network, IPC and UTS namespaces it owns): what is kept of them is pinned from it
   */
  record NewPod(String id, SandboxSpec spec, String hostname, String netnsPath, String cgroupParent,
      StepTimes times, Optional<NamespaceHolder> userNamespace) {}

  /**
   * Makes the pod's namespaces (and, for a pod without an infra, its cgroup: runc would have
   * made it). Returns the pid of the process holding them, 0 when files hold them.
   */
  long create(NewPod pod) throws IOException, ShimException;

  /** The path a container joins for the pod's {@code kind}, or {@link dev.berth.runtime.oci.NamespacePlan#NEW}. */
  String joinPath(Sandbox sandbox, PodNamespace kind);

  /** Whether the namespaces the pod was made with still exist (at start-up, after a restart). */
  boolean alive(Sandbox sandbox);

  /**
   * Whether a process holds them (the infra, or the conmon of an infra run by an earlier Berth):
   * its death makes the pod not ready, so the shim monitor watches it ({@link #holderAlive}).
   */
  boolean hasShim();

  /**
   * Whether the process that holds them still runs, read from /proc without spawning anything
   * (the shim monitor asks every second); true when files hold them.
   */
  boolean holderAlive(Sandbox sandbox);

  /** A process inside the pod's namespaces, network included; 0 when only files hold them. */
  long holderPid(Sandbox sandbox);

  /** StopPodSandbox's part: nothing of the pod runs in them afterwards. Harmless when already done. */
  ReleaseStep releaseOnStop(String sandboxId);

  /** RemovePodSandbox's part (also a failed create's undo): nothing of them is left. Harmless when already done. */
  ReleaseStep releaseOnRemove(String sandboxId);

  /** What holds them, for the log: "infra process", "pinned namespaces". */
  String holder();
}
