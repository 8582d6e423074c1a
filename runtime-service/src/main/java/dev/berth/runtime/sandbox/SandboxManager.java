package dev.berth.runtime.sandbox;

import dev.berth.runtime.cgroup.CgroupLimits;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.model.StepTimes;
import dev.berth.runtime.model.Clock;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.IdIndex;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.KeyedLocks;
import dev.berth.runtime.model.NameRegistry;
import dev.berth.runtime.model.Release;
import dev.berth.runtime.model.Undo;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.store.AtomicFiles;
import dev.berth.runtime.store.CreationIntent;
import dev.berth.runtime.shims.OrphanedProcesses;
import dev.berth.runtime.shims.ShimOwner;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.sys.ProcFiles;
import dev.berth.runtime.userns.NamespaceHolder;
import dev.berth.shim.ConmonShim;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs, stops and removes pod sandboxes: the pinned network namespace and its CNI network, the
 * pod's shared files, and its other namespaces as its {@link PodNamespaces} holds them. What a
 * pod holds is released by one {@link PodRelease}; its containers are released before it, by
 * whoever stops or removes the pod.
 */
public final class SandboxManager implements ShimOwner {

  private static final Logger log = LoggerFactory.getLogger(SandboxManager.class);

  /** Paths and parts a sandbox manager works with. */
  public record Parts(RecordStore<Sandbox> store, Path podsDir, String defaultCgroupRoot,
      NetworkNamespaces namespaces, CniNetwork network, Runnable requireNetworkReady, ConmonShim shim,
      CgroupModel cgroups, PodNamespaceChoice podNamespaces, PodRelease release, SpareInfras spares) {}

  private final Parts parts;
  private final IdIndex<Sandbox> sandboxes = new IdIndex<>();
  private final NameRegistry names = new NameRegistry("pod sandbox");
  private final KeyedLocks locks = new KeyedLocks();

  public SandboxManager(Parts parts) {
    this.parts = parts;
  }

  /** Adopts a sandbox loaded from disk at start-up, after the infra was checked. */
  public void adopt(Sandbox sandbox) {
    names.reserve(sandbox.spec().pod().key(), sandbox.id());
    sandboxes.put(sandbox.id(), sandbox);
  }

  public Sandbox run(SandboxSpec spec) {
    // A pod that needs an infra takes a spare one when it can (SpareInfras): the pod's id is the spare's.
    Optional<SpareInfras.Spare> spare = parts.podNamespaces().needsInfra(spec)
        ? parts.spares().take(spec) : Optional.empty();
    String id = spare.map(SpareInfras.Spare::id).orElseGet(Ids::newId);
    Undo undo = new Undo();
    spare.ifPresent(taken -> undo.push(parts.spares().discard(taken)));
    try {
      names.reserve(spec.pod().key(), id);
      undo.push("release name", () -> names.release(spec.pod().key(), id));
      Sandbox sandbox = locks.with(id, () -> create(id, spec, spare, undo));
      undo.commit();
      return sandbox;
    } catch (RuntimeException | Error e) {
      // An Error too (out of memory half way): what the create did so far must not stay behind.
      undo.rollback();
      throw e;
    }
  }

  private Sandbox create(String id, SandboxSpec spec, Optional<SpareInfras.Spare> spare, Undo undo) {
    StepTimes times = new StepTimes("run pod sandbox " + id);
    try {
      String cgroupParent = spec.cgroupParent().isEmpty() ? parts.defaultCgroupRoot() + "/" + id : spec.cgroupParent();
      PodNamespaces podNamespaces = parts.podNamespaces().forNew(spec);
      PodRelease release = parts.release();
      PodRelease.Target target = new PodRelease.Target(id, Optional.of(spec),
          spec.cgroupParent().isEmpty() ? Optional.of(cgroupParent) : Optional.empty(), Optional.of(podNamespaces));
      // Each step of the pod's release is pushed as the create reaches what it releases, so the
      // rollback (last pushed, first run) runs them in the release's own order.
      // Before the first side effect: a daemon killed from here on leaves a note of what to undo.
      // The directory's step is pushed first: a note that fails half-written (a full disk) must
      // not leave its directory.
      undo.push(release.directory(target));
      release.cgroup(target).ifPresent(undo::push);
      // Its fsyncs run beside the network namespace's creation (state in /run: it ends with the
      // node), and are awaited before CNI's ADD, whose address allocation outlives a node crash:
      // what precedes CNI ADD went from 11.5-13.7 to 6.3-8.1 ms p50 sequentially on a loaded host
      // (bench/README.md, 2026-12-07 14:05, debug log of bin/bench-compare --only-berth).
      CreationIntent.Syncing note = CreationIntent.writeSyncingBeside(parts.store().objectDir(id),
          new SandboxIntent(spec, spec.cgroupParent().isEmpty() ? cgroupParent : ""));
      times.mark("creation note");
      // A pod with its own user namespace: a holder process makes it with a network namespace it
      // owns (and IPC and UTS ones), so that the pod's root may set their sysctls and mount sysfs
      // and mqueue; what is kept of them is pinned before the holder ends.
      NamespaceHolder userNamespace = spec.ownUserNamespace() ? NamespaceHolder.start(spec.userNamespace()) : null;
      String netnsPath = "";
      // No hostname asked for: the pod's UTS namespace keeps the node's, as with containerd.
      String hostname = spec.hostname().isEmpty() || spec.hostNetwork() ? hostHostname() : spec.hostname();
      long infraPid;
      BackgroundAttach cni = null;
      try {
        if (!spec.hostNetwork()) {
          parts.requireNetworkReady().run();
          times.mark("network ready check");
          netnsPath = (spare.isPresent() ? parts.spares().adoptNetwork(spare.get(), parts.namespaces())
              : userNamespace == null ? parts.namespaces().create(id)
              : parts.namespaces().createFrom(id, userNamespace.namespace("net"))).toString();
          release.networkNamespace(target).ifPresent(undo::push);
          times.mark("netns");
          note.awaitDurable();
          times.mark("creation note fsync wait");
          cni = BackgroundAttach.start(parts.network(),
              NodePodParts.attachment(id, Optional.of(spec), Path.of(netnsPath)));
          BackgroundAttach adding = cni;
          // Never a DEL under a plugin that is still adding: the ADD ends first, whatever its outcome.
          release.network(target).ifPresent(del -> undo.push(del.what(), () -> {
            adding.awaitEnd();
            del.action().run();
          }));
          if (setsNetworkSysctls(spec)) {
            // runc writes them in the namespace as it creates the infra; a key like
            // net.ipv4.conf.eth0.* needs the pod's interface there first, as before.
            cni.await();
            times.mark("cni add before infra (net sysctls)");
          }
        }
        // Without a pod network (host network) nothing waited for the note yet.
        note.awaitDurable();
        if (spare.isPresent()) {
          // Undone after the infra is killed, as a removal does.
          release.infraCgroup(target).ifPresent(undo::push);
        }
        release.namespaces(target, true).forEach(undo::push);
        if (spare.isPresent()) {
          infraPid = parts.spares().adoptProcess(spare.get(), cgroupParent + "/" + id,
              spec.hostname().isEmpty() ? null : hostname, times);
        } else {
          infraPid = podNamespaces.create(new PodNamespaces.NewPod(id, spec, hostname, netnsPath, cgroupParent, times,
              Optional.ofNullable(userNamespace)));
        }
      } finally {
        if (userNamespace != null) {
          userNamespace.close();
        }
      }
      // The pod's v2 cgroup exists by now (runc or we made it); its containers get the v2
      // controllers (hugetlb on a hybrid node) from here on.
      parts.cgroups().enableControllersBelow(cgroupParent);
      times.mark("cgroup controllers");

      // The infra never reads these files; all but /etc/hosts (it names the pod's IPs) are
      // written while the network is still being set up.
      PodFiles files = new PodFiles(parts.podsDir(), id);
      undo.push(release.podFiles(target));
      files.createAllButHosts(spec, hostname, !spec.hostIpc());
      times.mark("pod files");

      List<String> ips = List.of();
      if (cni != null) {
        ips = cni.await().ips();
        times.mark("cni add wait");
        times.add("cni add", cni.nanos());
      }
      files.writeHosts(hostname, ips);
      times.mark("hosts file");

      Sandbox sandbox = new Sandbox(id, spec, SandboxState.READY, Clock.nowNanos(), netnsPath, ips, cgroupParent,
          infraPid);
      // The record's name is not fsynced (a journal commit less per pod): a node crash that loses
      // it leaves the durable note (a journaled file system commits the note's removal after the
      // rename), and start-up undoes the pod as half made, which such a crash made it anyway.
      parts.store().save(id, sandbox, AtomicFiles.Durability.CONTENT);
      CreationIntent.remove(parts.store().objectDir(id));
      sandboxes.put(id, sandbox);
      times.mark("record");
      times.log(log);
      log.info("pod sandbox {} ({}) ready, ips {}", id, spec.pod().key(), ips);
      return sandbox;
    } catch (IOException | ShimException | dev.berth.runtime.cni.CniException e) {
      throw new CriException.Internal("run pod sandbox " + spec.pod().key() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The namespace file a container of the pod joins, as the pod's {@link PodNamespaces} holds
   * it. {@code type} is "ipc", "uts", "pid" or "user" (the pod's own, pinned for both kinds of
   * pod; {@link dev.berth.runtime.oci.NamespacePlan#HOST} for a pod in the node's).
   */
  public String namespacePath(Sandbox sandbox, String type) {
    return namespaces(sandbox).joinPath(sandbox, PodNamespace.named(type));
  }

  /** How the pod holds its namespaces, as chosen when it was run. */
  public PodNamespaces namespaces(Sandbox sandbox) {
    return parts.podNamespaces().of(sandbox);
  }

  private static boolean setsNetworkSysctls(SandboxSpec spec) {
    return spec.sysctls().keySet().stream().anyMatch(key -> key.startsWith("net.") || key.startsWith("net/"));
  }

  private static String hostHostname() throws IOException {
    return ProcFiles.read(Path.of("/proc/sys/kernel/hostname")).trim();
  }

  @Override
  public String kind() {
    return "pod sandbox";
  }

  /** Ready pods with an infra process; a pod without one (infraPid 0) has no shim, only pinned namespaces. */
  @Override
  public List<String> idsWithShims() {
    // A pod whose namespaces are pinned files has no shim to die.
    return sandboxes.values().stream().filter(s -> s.state() == SandboxState.READY && namespaces(s).hasShim())
        .map(Sandbox::id).toList();
  }

  /** The infra process itself, or the conmon of an infra run by an earlier Berth; a pod gone meanwhile is not asked about. */
  @Override
  public boolean alive(ConmonShim shims, String id) {
    return sandboxes.get(id).map(sandbox -> namespaces(sandbox).holderAlive(sandbox)).orElse(true);
  }

  /**
   * Called when a ready sandbox's infra (or the conmon holding it) is found dead by the
   * ShimMonitor: the pod can no longer be trusted, so it becomes NOT_READY and the kubelet will
   * recreate it. An infra left running without its conmon is killed, as for a container whose
   * shim died.
   */
  @Override
  public void onShimDeath(String id) {
    if (sandboxes.get(id).isEmpty()) {
      return;
    }
    locks.run(id, () -> {
      Sandbox sandbox = sandboxes.get(id).orElse(null);
      if (sandbox == null || sandbox.state() != SandboxState.READY || namespaces(sandbox).holderAlive(sandbox)) {
        return;
      }
      String why = infraEnd(sandbox);
      try {
        OrphanedProcesses.kill(parts.shim(), id);
      } catch (ShimException e) {
        throw new CriException.Internal("pod sandbox " + id + ": " + why + ", and its infra could not be killed: "
            + e.getMessage(), e);
      }
      Sandbox notReady = sandbox.withState(SandboxState.NOT_READY);
      try {
        parts.store().save(id, notReady);
      } catch (IOException e) {
        // The infra is gone whatever the disk says; a restart finds it gone again.
        log.error("pod sandbox {} is not ready but its record could not be saved: {}", id, e.getMessage());
      }
      sandboxes.put(id, notReady);
      log.warn("pod sandbox {} ({}): {}; marked not ready", id, sandbox.spec().pod().key(), why);
    });
  }

  /**
   * How the infra ended, for the log: conmon's exit file for an infra it held; for one without a
   * conmon, the exit status while the process is still an unreaped zombie.
   */
  private String infraEnd(Sandbox sandbox) {
    Optional<String> code = parts.shim().exit(sandbox.id()).map(exit -> Integer.toString(exit.exitCode()))
        .or(() -> {
          OptionalInt zombie = OrphanedProcesses.zombieExitCode(sandbox.infraPid());
          return zombie.isPresent() ? Optional.of(Integer.toString(zombie.getAsInt())) : Optional.empty();
        });
    return code.map(c -> "its infra process exited with code " + c)
        .orElse(parts.shim().shimPid(sandbox.id()).isPresent() ? "its infra shim (conmon) died"
            : "its infra process ended");
  }

  /**
   * Releases what the pod runs and its network (its containers must be stopped first); the
   * record stays, not ready. Idempotent; a step that fails does not keep the others from running.
   */
  public void stop(String idOrPrefix) {
    release(idOrPrefix, "stop", parts.release()::onStop, false);
  }

  /**
   * Releases everything the pod holds, its record last (its containers must be removed first);
   * idempotent. A removal that fails keeps the record, so the kubelet's retry finishes it.
   */
  public void remove(String idOrPrefix) {
    release(idOrPrefix, "remove", parts.release()::onRemove, true);
  }

  /** Runs {@code release} on the pod under its lock; {@code forget}: the pod is gone once it succeeded. */
  private void release(String idOrPrefix, String call, Function<PodRelease.Target, Release> release, boolean forget) {
    Optional<Sandbox> found = find(idOrPrefix);
    if (found.isEmpty()) {
      return;
    }
    String id = found.get().id();
    locks.run(id, () -> {
      Sandbox sandbox = sandboxes.get(id).orElse(null);
      if (sandbox == null) {
        return;
      }
      List<String> failures = new ArrayList<>(release.apply(PodRelease.Target.of(sandbox, namespaces(sandbox))).run());
      if (forget && failures.isEmpty()) {
        sandboxes.remove(id);
        names.release(sandbox.spec().pod().key(), id);
        return;
      }
      // Not ready even when a step failed: what the pod ran is killed or unpinned as far as the release went.
      markNotReady(sandbox).ifPresent(failures::add);
      if (!failures.isEmpty()) {
        throw new CriException.Internal(call + " pod sandbox " + id + ": " + String.join("; ", failures), null);
      }
    });
    if (forget) {
      locks.forget(id);
    }
  }

  private Optional<String> markNotReady(Sandbox sandbox) {
    if (sandbox.state() == SandboxState.NOT_READY) {
      return Optional.empty();
    }
    Sandbox stopped = sandbox.withState(SandboxState.NOT_READY);
    sandboxes.put(sandbox.id(), stopped);
    try {
      parts.store().save(sandbox.id(), stopped);
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("save its record as not ready: " + e.getMessage());
    }
  }

  /** The pod's total resources (UpdatePodSandboxResources) written to its cgroup. */
  public void updateResources(String idOrPrefix, CgroupLimits limits) {
    Sandbox sandbox = require(idOrPrefix);
    locks.run(sandbox.id(), () -> {
      try {
        parts.cgroups().apply(sandbox.cgroupParent(), limits);
      } catch (IllegalArgumentException e) {
        throw new CriException.InvalidArgument("resources of pod sandbox " + sandbox.id() + ": " + e.getMessage());
      } catch (UnsupportedOperationException e) {
        throw new CriException.FailedPrecondition("resources of pod sandbox " + sandbox.id() + ": " + e.getMessage());
      } catch (IOException e) {
        throw new CriException.Internal("update resources of pod sandbox " + sandbox.id() + ": " + e.getMessage(), e);
      }
    });
  }

  public Optional<Sandbox> find(String idOrPrefix) {
    return sandboxes.findByPrefix(idOrPrefix, "pod sandbox");
  }

  public Sandbox require(String idOrPrefix) {
    return find(idOrPrefix).orElseThrow(() -> new CriException.NotFound("pod sandbox " + idOrPrefix + " not found"));
  }

  public List<Sandbox> list() {
    return sandboxes.values();
  }
}
