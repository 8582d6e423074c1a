package dev.berth.runtime.sandbox;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.runtime.model.ReleaseStep;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.shim.DetachedRuntime;
import dev.berth.shim.OciRuntime;
import dev.berth.shim.RuntimeState;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod whose namespaces are held by an infra process: catatonit, as pid 1 of the pod's PID
 * namespace when its containers share one. Its containers join the infra's namespaces through
 * {@code /proc/<infra pid>/ns/}. It has no log, stdio, exec or attach, so it runs without a conmon
 * ({@link DetachedRuntime}): one {@code runc run --detach}, and its end is seen in /proc by the
 * shim monitor ({@link #holderAlive}). Pods run by an earlier Berth have theirs under a conmon,
 * which is watched, stopped and deleted as before.
 */
public final class InfraProcess implements PodNamespaces {

  private static final Logger log = LoggerFactory.getLogger(InfraProcess.class);
  private static final int SIGKILL = 9;
  private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  private final OciRuntime shim;
  private final DetachedRuntime detached;
  private final Function<String, Path> objectDir;
  private final Path infraRootfs;
  private final int oomScoreAdj;
  private final PodNamespacePins pins;
  private final IdmapStaging idmap;

  /**
   * @param shim what stops, inspects and deletes the infra (and holds those of earlier Berths under a conmon)
   * @param detached what runs the infra without a conmon
   * @param objectDir the sandbox's directory, where the infra's bundle goes
   * @param infraRootfs the built-in catatonit rootfs ({@link InfraRootfs})
   * @param pins where the user namespace of a pod with its own is pinned
   * @param idmap where the infra's idmapped rootfs goes in such a pod
   */
  public InfraProcess(OciRuntime shim, DetachedRuntime detached, Function<String, Path> objectDir, Path infraRootfs,
      int oomScoreAdj, PodNamespacePins pins, IdmapStaging idmap) {
    this.shim = shim;
    this.detached = detached;
    this.objectDir = objectDir;
    this.infraRootfs = infraRootfs;
    this.oomScoreAdj = oomScoreAdj;
    this.pins = pins;
    this.idmap = idmap;
  }

  @Override
  public long create(NewPod pod) throws IOException, ShimException {
    Path bundle = objectDir.apply(pod.id()).resolve("bundle");
    PrivateDirectory.create(bundle);
    Path rootfs = infraRootfs;
    String userNamespace = NamespacePlan.HOST;
    if (pod.userNamespace().isPresent()) {
      // runc makes the infra's IPC and UTS namespaces inside the pinned user namespace; the
      // infra's root reaches its rootfs only through an idmapped copy.
      pins.pinExisting(pod.id(), Map.of("user", pod.userNamespace().get().namespace("user")));
      userNamespace = pins.user(pod.id()).toString();
      rootfs = idmap.stageRoot(pod.id(), "infra", infraRootfs, pins.user(pod.id()), pod.spec().userNamespace());
    }
    OciSpecJson.write(bundle, InfraOciSpec.of(pod.spec(), rootfs, pod.hostname(), pod.netnsPath(),
        pod.cgroupParent() + "/" + pod.id(), oomScoreAdj, userNamespace));
    pod.times().mark("bundle");
    long pid = detached.runDetached(pod.id(), bundle, pod.spec().runtimeHandler(), CREATE_TIMEOUT);
    pod.times().mark("infra run");
    return pid;
  }

  @Override
  public String joinPath(Sandbox sandbox, PodNamespace kind) {
    if (kind == PodNamespace.USER) {
      // Pinned: the pod's containers keep joining it by the same path whatever becomes of the infra.
      return sandbox.spec().ownUserNamespace() ? pins.user(sandbox.id()).toString() : NamespacePlan.HOST;
    }
    return "/proc/" + sandbox.infraPid() + "/ns/" + kind.procName();
  }

  /** Running by runc's account; when runc itself fails, a live infra (or conmon still holding it) counts. */
  @Override
  public boolean alive(Sandbox sandbox) {
    String id = sandbox.id();
    try {
      Optional<RuntimeState> state = shim.state(id);
      return state.isPresent() && state.get().status() == RuntimeState.Status.RUNNING;
    } catch (ShimException e) {
      // runc itself failing (its binary missing after an upgrade, say) is no proof the pod is gone:
      // the infra, alive, still holds its namespaces. Marking it not ready would be for good.
      boolean holderAlive = holderAlive(sandbox);
      log.warn("pod sandbox {}: runtime state unknown ({}); its infra is {}", id, e.getMessage(),
          holderAlive ? "alive, so it stays ready" : "gone");
      return holderAlive;
    }
  }

  /** The infra process itself; for an infra of an earlier Berth, the conmon that holds it. */
  @Override
  public boolean holderAlive(Sandbox sandbox) {
    String id = sandbox.id();
    return detached.isDetached(id) ? detached.isDetachedRunning(id) : shim.isShimAlive(id);
  }

  @Override
  public boolean hasShim() {
    return true;
  }

  @Override
  public long holderPid(Sandbox sandbox) {
    return sandbox.infraPid();
  }

  /**
   * The infra is killed and waited for, then a pinned user namespace unpinned; its runtime state
   * stays until the pod is removed.
   */
  @Override
  public ReleaseStep releaseOnStop(String sandboxId) {
    return new ReleaseStep("kill the infra process and remove the pod's pins", () -> {
      kill(sandboxId);
      pins.remove(sandboxId);
    });
  }

  /**
   * runc delete --force (which kills it first) and the shim's files; then, in a pod with its own
   * user namespace, the infra's idmapped rootfs (no longer in use) and the namespace's pin.
   */
  @Override
  public ReleaseStep releaseOnRemove(String sandboxId) {
    return new ReleaseStep("delete the infra container and its shim, then the pod's idmapped mounts and pins", () -> {
      shim.delete(sandboxId);
      idmap.releasePod(sandboxId);
      pins.remove(sandboxId);
    });
  }

  @Override
  public String holder() {
    return "infra process";
  }

  private void kill(String id) throws ShimException {
    if (!running(id)) {
      return;
    }
    // Its init alone: the infra is the only process in its cgroup, and pid 1 of its own PID namespace
    // when it has one. A spare infra moved into its pod (SpareInfras) is no longer in the cgroup runc
    // recorded, where `kill --all` would look.
    shim.kill(id, SIGKILL, false);
    long deadline = System.nanoTime() + KILL_WAIT.toNanos();
    while (running(id) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private boolean running(String id) throws ShimException {
    return shim.state(id).map(s -> s.status() != RuntimeState.Status.STOPPED).orElse(false);
  }
}
