package dev.berth.runtime.sandbox;

import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.model.ReleaseStep;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.runtime.userns.NamespaceHolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pod without an infra process: its IPC and UTS namespaces are files that pin them
 * ({@link PodNamespacePins}), joined by path as the network namespace is. Nothing is pid 1 of a
 * shared PID namespace, so such a pod shares none (a pod asking to share one gets an infra). In a
 * pod with its own user namespace they are owned by it, pinned from the process that made them.
 */
public final class PinnedNamespaces implements PodNamespaces {

  private final PodNamespacePins pins;
  private final NetworkNamespaces networkNamespaces;
  private final CgroupModel cgroups;
  private final IdmapStaging idmap;

  public PinnedNamespaces(PodNamespacePins pins, NetworkNamespaces networkNamespaces, CgroupModel cgroups,
      IdmapStaging idmap) {
    this.pins = pins;
    this.networkNamespaces = networkNamespaces;
    this.cgroups = cgroups;
    this.idmap = idmap;
  }

  @Override
  public long create(NewPod pod) throws IOException {
    if (pod.userNamespace().isPresent()) {
      // Owned by the pod's user namespace, so that its root may set their sysctls and mount mqueue.
      NamespaceHolder holder = pod.userNamespace().get();
      Map<String, Path> kept = new LinkedHashMap<>();
      kept.put("user", holder.namespace("user"));
      if (pinsIpc(pod.spec())) {
        kept.put("ipc", holder.namespace("ipc"));
      }
      if (pinsUts(pod.spec())) {
        kept.put("uts", holder.namespace("uts"));
      }
      pins.pinExisting(pod.id(), kept);
      if (pinsUts(pod.spec()) && !pod.spec().hostname().isEmpty()) {
        pins.setHostname(pod.id(), pod.spec().hostname());
      }
    } else {
      pins.create(pod.id(), pinsIpc(pod.spec()), pinsUts(pod.spec()), pod.spec().hostname());
    }
    pod.times().mark("ipc/uts pins");
    // No runc create makes the pod cgroup for its first container: it is made here.
    cgroups.create(pod.cgroupParent());
    pod.times().mark("pod cgroup");
    return 0;
  }

  private static boolean pinsIpc(SandboxSpec spec) {
    return !spec.hostIpc();
  }

  /** Host-network pods keep the node's UTS namespace, as their containers do. */
  private static boolean pinsUts(SandboxSpec spec) {
    return !spec.hostNetwork();
  }

  @Override
  public String joinPath(Sandbox sandbox, PodNamespace kind) {
    return switch (kind) {
      case IPC -> pins.ipc(sandbox.id()).toString();
      case UTS -> pins.uts(sandbox.id()).toString();
      // The pod said its containers do not share one PID namespace (else it would have an
      // infra); a container asking for "the pod's" gets its own, as the pod declared.
      case PID -> NamespacePlan.NEW;
      case USER -> sandbox.spec().ownUserNamespace() ? pins.user(sandbox.id()).toString() : NamespacePlan.HOST;
    };
  }

  /** Alive as long as every namespace it was made with is still pinned (a reboot leaves plain files). */
  @Override
  public boolean alive(Sandbox sandbox) {
    return (sandbox.spec().hostNetwork() || networkNamespaces.exists(sandbox.id()))
        && pins.pinned(sandbox.id(), pinsIpc(sandbox.spec()), pinsUts(sandbox.spec()))
        && (!sandbox.spec().ownUserNamespace() || pins.userPinned(sandbox.id()));
  }

  @Override
  public boolean hasShim() {
    return false;
  }

  /** Files cannot die; whether they are still pinned is {@link #alive}'s question, at start-up. */
  @Override
  public boolean holderAlive(Sandbox sandbox) {
    return true;
  }

  @Override
  public long holderPid(Sandbox sandbox) {
    return 0;
  }

  /** What killing the infra is to other pods: from here a restart finds the pod not ready. */
  @Override
  public ReleaseStep releaseOnStop(String sandboxId) {
    return unpin(sandboxId);
  }

  /** The pins, then the pod's idmapped mounts (its containers' are released before it). */
  @Override
  public ReleaseStep releaseOnRemove(String sandboxId) {
    return new ReleaseStep("unpin the IPC, UTS and user namespaces and detach the pod's idmapped mounts", () -> {
      pins.remove(sandboxId);
      idmap.releasePod(sandboxId);
    });
  }

  private ReleaseStep unpin(String sandboxId) {
    return new ReleaseStep("unpin the IPC, UTS and user namespaces", () -> pins.remove(sandboxId));
  }

  @Override
  public String holder() {
    return "pinned namespaces";
  }
}
