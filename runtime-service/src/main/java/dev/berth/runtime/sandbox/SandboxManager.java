package dev.berth.runtime.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.image.store.PrivateDirectory;
import dev.berth.runtime.cgroup.CgroupPaths;
import dev.berth.runtime.cgroup.HugetlbDelegation;
import dev.berth.runtime.cni.CniAttachment;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.metrics.StepTimes;
import dev.berth.runtime.model.Clock;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.IdIndex;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.KeyedLocks;
import dev.berth.runtime.model.NameRegistry;
import dev.berth.runtime.model.Undo;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciSpecBuilder;
import dev.berth.runtime.pod.PodFiles;
import dev.berth.runtime.store.CreationIntent;
import dev.berth.runtime.shims.OrphanedProcesses;
import dev.berth.runtime.store.PlainFiles;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.sys.ProcFiles;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.runtime.userns.NamespaceHolder;
import dev.berth.shim.ConmonShim;
import dev.berth.shim.CreateRequest;
import dev.berth.shim.CreatedProcess;
import dev.berth.shim.RuntimeState;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs, stops and removes pod sandboxes: the pinned network namespace and its CNI network, the
 * pod's shared files, and the infra process (catatonit) that holds the pod's namespaces.
 */
public final class SandboxManager {

  private static final Logger log = LoggerFactory.getLogger(SandboxManager.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SIGKILL = 9;
  private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);

  /** Paths and parts a sandbox manager works with. */
  public record Parts(RecordStore<Sandbox> store, Path podsDir, Path infraRootfs, String defaultCgroupRoot,
      NetworkNamespaces namespaces, CniNetwork network, Runnable requireNetworkReady, ConmonShim shim,
      CgroupPaths cgroups, int oomScoreAdj, HugetlbDelegation hugetlb, BerthConfig.InfraContainer infraMode,
      PodNamespacePins pins, IdmapStaging idmap) {}

  private final Parts parts;
  private final IdIndex<Sandbox> sandboxes = new IdIndex<>();
  private final NameRegistry names = new NameRegistry("pod sandbox");
  private final KeyedLocks locks = new KeyedLocks();
  private volatile PodContainers containers;

  public SandboxManager(Parts parts) {
    this.parts = parts;
  }

  public void setContainers(PodContainers containers) {
    this.containers = containers;
  }

  /** Adopts a sandbox loaded from disk at start-up, after the infra was checked. */
  public void adopt(Sandbox sandbox) {
    names.reserve(sandbox.spec().pod().key(), sandbox.id());
    sandboxes.put(sandbox.id(), sandbox);
  }

  public Sandbox run(SandboxSpec spec) {
    String id = Ids.newId();
    names.reserve(spec.pod().key(), id);
    Undo undo = new Undo();
    undo.push("release name", () -> names.release(spec.pod().key(), id));
    try {
      Sandbox sandbox = locks.with(id, () -> create(id, spec, undo));
      undo.commit();
      return sandbox;
    } catch (RuntimeException | Error e) {
      // An Error too (out of memory half way): what the create did so far must not stay behind.
      undo.rollback();
      throw e;
    }
  }

  private Sandbox create(String id, SandboxSpec spec, Undo undo) {
    StepTimes times = new StepTimes("run pod sandbox " + id);
    try {
      String cgroupParent = spec.cgroupParent().isEmpty() ? parts.defaultCgroupRoot() + "/" + id : spec.cgroupParent();
      if (spec.cgroupParent().isEmpty()) {
        undo.push("remove pod cgroup", () -> parts.cgroups().remove(cgroupParent));
      }
      // Before the first side effect: a daemon killed from here on leaves a note of what to undo.
      // Pushed first: a note that fails half-written (a full disk) must not leave its directory.
      undo.push("remove sandbox dir", () -> parts.store().delete(id));
      CreationIntent.write(parts.store().objectDir(id),
          new SandboxIntent(spec, spec.cgroupParent().isEmpty() ? cgroupParent : ""));
      times.mark("creation note");
      String netnsPath = "";
      BackgroundAttach cni = null;
      boolean infra = needsInfra(spec);
      if (!spec.hostNetwork()) {
        parts.requireNetworkReady().run();
        times.mark("network ready check");
        if (spec.ownUserNamespace()) {
          netnsPath = pinOwnNamespaces(id, spec, infra, undo).toString();
        } else {
          netnsPath = parts.namespaces().create(id).toString();
          undo.push("remove netns", () -> parts.namespaces().remove(id));
        }
        times.mark("netns");
        cni = BackgroundAttach.start(parts.network(), attachment(id, spec, Path.of(netnsPath)));
        undo.push("CNI DEL", cni::detach);
        if (setsNetworkSysctls(spec)) {
          // runc writes them in the namespace as it creates the infra; a key like
          // net.ipv4.conf.eth0.* needs the pod's interface there first, as before.
          cni.await();
          times.mark("cni add before infra (net sysctls)");
        }
      }
      // No hostname asked for: the pod's UTS namespace keeps the node's, as with containerd.
      String hostname = spec.hostname().isEmpty() || spec.hostNetwork() ? hostHostname() : spec.hostname();
      long infraPid = 0;
      if (infra) {
        undo.push("delete infra", () -> parts.shim().delete(id));
        infraPid = startInfra(id, spec, hostname, netnsPath, cgroupParent, times, undo);
      } else {
        // No process holds the pod's namespaces: files do, and runc would have made the cgroup.
        undo.push("unpin IPC/UTS namespaces", () -> parts.pins().remove(id));
        if (!spec.ownUserNamespace()) {
          parts.pins().create(id, pinsIpc(spec), pinsUts(spec), spec.hostname());
        }
        times.mark("ipc/uts pins");
        parts.cgroups().create(cgroupParent);
        times.mark("pod cgroup");
      }
      // The pod's v2 cgroup exists by now (runc or we made it); its containers get hugetlb stats from here on.
      parts.hugetlb().enableBelow(cgroupParent);
      times.mark("hugetlb");

      // The infra never reads these files; all but /etc/hosts (it names the pod's IPs) are
      // written while the network is still being set up.
      PodFiles files = new PodFiles(parts.podsDir(), id);
      undo.push("remove pod files", files::remove);
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
      parts.store().save(id, sandbox);
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
   * A pod with a user namespace of its own: a holder process makes it, with a network namespace
   * it owns (and IPC and UTS ones, pinned for a pod without an infra; an infra's runc makes its
   * own inside the user namespace), so that the pod's root may set their sysctls and mount sysfs
   * and mqueue. Everything is pinned before the holder ends. Returns the pinned network namespace.
   */
  private Path pinOwnNamespaces(String id, SandboxSpec spec, boolean infra, Undo undo) throws IOException {
    undo.push("unpin pod namespaces", () -> parts.pins().remove(id));
    undo.push("remove netns", () -> parts.namespaces().remove(id));
    Path netns;
    try (NamespaceHolder holder = NamespaceHolder.start(spec.userNamespace())) {
      parts.pins().pinExisting(id, infra ? Map.of("user", holder.namespace("user"))
          : Map.of("user", holder.namespace("user"), "ipc", holder.namespace("ipc"), "uts", holder.namespace("uts")));
      netns = parts.namespaces().createFrom(id, holder.namespace("net"));
    }
    if (!infra && !spec.hostname().isEmpty()) {
      parts.pins().setHostname(id, spec.hostname());
    }
    return netns;
  }

  private long startInfra(String id, SandboxSpec spec, String hostname, String netnsPath, String cgroupParent,
      StepTimes times, Undo undo) throws IOException, ShimException {
    Path bundle = parts.store().objectDir(id).resolve("bundle");
    PrivateDirectory.create(bundle);
    Path rootfs = parts.infraRootfs();
    if (spec.ownUserNamespace()) {
      undo.push("release idmapped mounts", () -> parts.idmap().releasePod(id));
      rootfs = parts.idmap().stageRoot(id, "infra", rootfs, parts.pins().user(id), spec.userNamespace());
    }
    writeInfraSpec(id, bundle, rootfs, spec, hostname, netnsPath, cgroupParent + "/" + id);
    times.mark("bundle");
    CreatedProcess infra = parts.shim().create(new CreateRequest(id, bundle, null, false, false, false,
        CREATE_TIMEOUT, spec.runtimeHandler(), null));
    times.mark("infra create");
    parts.shim().start(id);
    times.mark("infra start");
    return infra.containerPid();
  }

  /**
   * A pod needs an infra process when its containers share a PID namespace (the infra is their
   * pid 1 and reaper) or it sets sysctls (runc writes them as it creates the infra); in the
   * "always" mode every pod gets one.
   */
  private boolean needsInfra(SandboxSpec spec) {
    return parts.infraMode() == BerthConfig.InfraContainer.ALWAYS
        || (spec.sharedPid() && !spec.hostPid())
        || !spec.sysctls().isEmpty();
  }

  private static boolean pinsIpc(SandboxSpec spec) {
    return !spec.hostIpc();
  }

  /** Host-network pods keep the node's UTS namespace, as their containers do. */
  private static boolean pinsUts(SandboxSpec spec) {
    return !spec.hostNetwork();
  }

  /**
   * The namespace file a container of the pod joins: the infra's, or the pin of a pod without
   * one. {@code type} is "user" (a pod with its own: always its pin), "ipc", "uts" or "pid" (a pod
   * without an infra shares no PID namespace: {@link NamespacePlan#NEW}).
   */
  public String namespacePath(Sandbox sandbox, String type) {
    if (type.equals("user")) {
      // Pinned with or without an infra; the infra runs in it too.
      return parts.pins().user(sandbox.id()).toString();
    }
    if (sandbox.infraPid() > 0) {
      return "/proc/" + sandbox.infraPid() + "/ns/" + type;
    }
    return switch (type) {
      case "ipc" -> parts.pins().ipc(sandbox.id()).toString();
      case "uts" -> parts.pins().uts(sandbox.id()).toString();
      // The pod said its containers do not share one PID namespace (else it would have an
      // infra); a container asking for "the pod's" gets its own, as the pod declared.
      case "pid" -> NamespacePlan.NEW;
      default -> throw new IllegalArgumentException("no pod namespace of type " + type);
    };
  }

  /** For a pod without an infra: whether the namespaces it was made with are all still pinned. */
  public boolean namespacesPinned(Sandbox sandbox) {
    return (sandbox.spec().hostNetwork() || parts.namespaces().exists(sandbox.id()))
        && parts.pins().pinned(sandbox.id(), pinsIpc(sandbox.spec()), pinsUts(sandbox.spec()))
        && (!sandbox.spec().ownUserNamespace() || parts.pins().userPinned(sandbox.id()));
  }

  private void writeInfraSpec(String id, Path bundle, Path rootfs, SandboxSpec spec, String hostname,
      String netnsPath, String cgroupsPath) throws IOException {
    NamespacePlan plan = new NamespacePlan(
        spec.hostNetwork() ? NamespacePlan.HOST : netnsPath,
        spec.hostPid() ? NamespacePlan.HOST : NamespacePlan.NEW,
        spec.hostIpc() ? NamespacePlan.HOST : NamespacePlan.NEW,
        spec.hostNetwork() ? NamespacePlan.HOST : NamespacePlan.NEW);
    OciSpecBuilder builder = new OciSpecBuilder(rootfs, true)
        // -P: pause mode; as pid 1 of a shared pod pid namespace it also reaps zombies.
        .process(List.of(InfraRootfs.INIT, "-P"), List.of("PATH=/"), "/", 0, 0, false)
        .oomScoreAdj(parts.oomScoreAdj())
        .namespaces(plan)
        .sysctls(spec.sysctls())
        .cgroupsPath(cgroupsPath);
    if (spec.ownUserNamespace()) {
      builder.userNamespace(parts.pins().user(id).toString(), spec.userNamespace());
    }
    if (!spec.hostNetwork() && !spec.hostname().isEmpty()) {
      builder.hostname(hostname);
    }
    PlainFiles.write(bundle.resolve("config.json"), JSON.writeValueAsBytes(builder.build()));
  }

  private static boolean setsNetworkSysctls(SandboxSpec spec) {
    return spec.sysctls().keySet().stream().anyMatch(key -> key.startsWith("net.") || key.startsWith("net/"));
  }

  private static CniAttachment attachment(String id, SandboxSpec spec, Path netns) {
    List<dev.berth.runtime.cni.PortMapping> ports = spec.portMappings().stream()
        .map(p -> new dev.berth.runtime.cni.PortMapping(p.protocol(), p.containerPort(), p.hostPort(), p.hostIp()))
        .toList();
    return new CniAttachment(id, netns, "eth0", spec.pod().name(), spec.pod().namespace(), spec.pod().uid(), ports);
  }

  private static String hostHostname() throws IOException {
    return ProcFiles.read(Path.of("/proc/sys/kernel/hostname")).trim();
  }

  /**
   * Called when a ready sandbox's infra conmon is found dead (by the ShimMonitor): the pod can no
   * longer be trusted, so it becomes NOT_READY and the kubelet will recreate it. An infra left
   * running without its shim is killed, as for a container whose shim died.
   */
  public void onInfraShimDeath(String id) {
    if (sandboxes.get(id).isEmpty()) {
      return;
    }
    locks.run(id, () -> {
      Sandbox sandbox = sandboxes.get(id).orElse(null);
      if (sandbox == null || sandbox.state() != SandboxState.READY || parts.shim().isShimAlive(id)) {
        return;
      }
      String why = parts.shim().exit(id).map(exit -> "its infra process exited with code " + exit.exitCode())
          .orElse("its infra shim (conmon) died");
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

  /** Stops every container, the infra process and the network; idempotent. */
  public void stop(String idOrPrefix) {
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
      containers.stopAll(id);
      try {
        if (sandbox.infraPid() > 0) {
          killInfra(id);
        }
        // What killing the infra is to other pods: from here a restart finds the pod not ready.
        // A pod with an infra has pins too when it has its own user namespace.
        parts.pins().remove(id);
        if (!sandbox.spec().hostNetwork()) {
          Path netns = parts.namespaces().exists(id) ? parts.namespaces().path(id) : null;
          parts.network().detach(attachment(id, sandbox.spec(), netns));
          parts.namespaces().remove(id);
        }
        new PodFiles(parts.podsDir(), id).remove();
        if (sandbox.state() != SandboxState.NOT_READY) {
          Sandbox stopped = sandbox.withState(SandboxState.NOT_READY);
          parts.store().save(id, stopped);
          sandboxes.put(id, stopped);
        }
      } catch (IOException | ShimException | dev.berth.runtime.cni.CniException e) {
        throw new CriException.Internal("stop pod sandbox " + id + ": " + e.getMessage(), e);
      }
    });
  }

  private void killInfra(String id) throws ShimException {
    if (parts.shim().state(id).map(s -> s.status() != RuntimeState.Status.STOPPED).orElse(false)) {
      parts.shim().kill(id, SIGKILL, true);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (parts.shim().state(id).map(s -> s.status() != RuntimeState.Status.STOPPED).orElse(false)
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Stops the sandbox if needed, removes its containers and everything it owned; idempotent. */
  public void remove(String idOrPrefix) {
    Optional<Sandbox> found = find(idOrPrefix);
    if (found.isEmpty()) {
      return;
    }
    String id = found.get().id();
    stop(id);
    containers.removeAll(id);
    locks.run(id, () -> {
      Sandbox sandbox = sandboxes.get(id).orElse(null);
      if (sandbox == null) {
        return;
      }
      try {
        parts.shim().delete(id);
        parts.idmap().releasePod(id);
        if (sandbox.spec().cgroupParent().isEmpty()) {
          parts.cgroups().remove(sandbox.cgroupParent());
        }
        parts.store().delete(id);
      } catch (IOException | ShimException e) {
        throw new CriException.Internal("remove pod sandbox " + id + ": " + e.getMessage(), e);
      }
      sandboxes.remove(id);
      names.release(sandbox.spec().pod().key(), id);
    });
    locks.forget(id);
  }

  /** The pod's total resources (UpdatePodSandboxResources) written to its cgroup. */
  public void updateResources(String idOrPrefix, dev.berth.runtime.container.LinuxResources resources) {
    Sandbox sandbox = require(idOrPrefix);
    locks.run(sandbox.id(), () -> {
      try {
        new dev.berth.runtime.cgroup.PodCgroupLimits(Path.of("/sys/fs/cgroup")).apply(sandbox.cgroupParent(), resources);
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
