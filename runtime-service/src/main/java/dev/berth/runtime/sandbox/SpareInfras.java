package dev.berth.runtime.sandbox;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.image.unpack.FileTrees;
import dev.berth.linux.Syscalls;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cgroup.CgroupVersion;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.ReleaseStep;
import dev.berth.runtime.model.StepTimes;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.UtsHostname;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.sys.ProcFiles;
import dev.berth.shim.DetachedRuntime;
import dev.berth.shim.OciRuntime;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Infra processes made ahead of the pods that take them, so that a pod with an infra (one whose
 * containers share a PID namespace) does not wait for the infra's {@code runc run} in
 * RunPodSandbox: ~70 ms wall and ~50 ms of CPU on the benchmark's VM, the whole difference between
 * such a pod's start and a default pod's (bench/README.md, 2026-12-07 15:45).
 *
 * <p>A spare is the infra a pod would get, made with the pod's id-to-be: catatonit run by the same
 * runtime call with the same confinement, in a network namespace of its own (lo up, pinned under
 * this class's directory) and new PID, IPC and UTS namespaces, in a cgroup of its own below
 * {@link Parts#cgroupParent}. A pod that takes it gets its id as the pod's id, so the runtime's
 * container, its shim files and its pid are already the pod's; what is the pod's own is done when
 * it is handed over: the network namespace pinned by the pod's name ({@link #adoptNetwork}), the
 * hostname set in its UTS namespace, the process moved into the infra's cgroup below the pod's
 * (made here with the same deny-all device rule) ({@link #adoptProcess}). Only pods whose infra
 * would be made exactly so may take one ({@link #fits}); the others, and a pod that finds none
 * ready, make their own as before.
 *
 * <p>Spares are made only once a pod that could take one was run (a node whose pods never share a
 * PID namespace pays nothing), one at a time on a thread of their own at nice 19, right after one
 * is taken: on a 2-core node a spare's runc run beside that pod's CNI ADD costs the pod less than
 * beside its first CreateContainer (bench/README.md, 2026-12-07 19:10).
 * Each has a directory here from before its first side effect until it is handed over, so that a
 * daemon killed at any point finds what to undo ({@link #discardLeftovers}); a clean stop discards
 * them ({@link #close}). Not on v2 nodes: there the runtime's device rule is an eBPF program
 * attached to the cgroup it made, which does not follow the process to the pod's.
 */
public final class SpareInfras implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SpareInfras.class);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
  private static final String NETNS_DIR = "netns";
  private static final int SPARE_NICE = 19;

  /** The name of the spares' directory (in the state directory) and cgroup (below the default parent). */
  public static final String NAME = "spare-infras";

  /** A ready infra: the runtime's container of that id, its pid, its pinned network namespace. */
  public record Spare(String id, long pid, Path netns) {}

  /**
   * What spares are made with.
   *
   * @param directory where each spare's bundle and pinned network namespace live until a pod takes it
   * @param cgroupParent below which each spare has its cgroup until a pod takes it
   * @param size how many are kept ready; 0 for none
   */
  public record Parts(DetachedRuntime detached, OciRuntime runtime, CgroupModel cgroups, Path directory,
      Path infraRootfs, int oomScoreAdj, String cgroupParent, int size) {}

  private final Parts parts;
  private final NetworkNamespaces spareNamespaces;
  private final int size;
  private final int daemonNice;
  private final Deque<Spare> ready = new ArrayDeque<>();
  private boolean wanted;
  /** The thread making spares, while one is; null otherwise. */
  private Thread refiller;
  private boolean closed;

  public SpareInfras(Parts parts) throws IOException {
    this.parts = parts;
    this.daemonNice = niceOf(ProcFiles.read(Path.of("/proc/self/stat")));
    PrivateDirectory.create(parts.directory());
    this.spareNamespaces = new NetworkNamespaces(PrivateDirectory.create(parts.directory().resolve(NETNS_DIR)));
    this.size = parts.cgroups().version() == CgroupVersion.V2 ? 0 : parts.size();
  }

  /**
   * Whether a pod's infra would be exactly a spare's: its own network, PID, IPC and UTS
   * namespaces, no sysctls (runc writes them as it makes the infra), the node's user namespace, the
   * default runtime. Its hostname and cgroup are set when it is handed over.
   */
  public static boolean fits(SandboxSpec spec) {
    return !spec.hostNetwork() && !spec.hostPid() && !spec.hostIpc() && spec.sysctls().isEmpty()
        && !spec.ownUserNamespace() && spec.runtimeHandler().isEmpty();
  }

  /**
   * A ready spare for a pod that needs an infra, if it {@link #fits} and one is ready; a new one
   * is made in the background either way. The caller hands it over or, on failure, runs
   * {@link #discard}.
   */
  public Optional<Spare> take(SandboxSpec spec) {
    if (size == 0 || !fits(spec)) {
      return Optional.empty();
    }
    Spare spare;
    synchronized (this) {
      if (closed) {
        return Optional.empty();
      }
      wanted = true;
      spare = ready.pollFirst();
      startRefill();
    }
    return Optional.ofNullable(spare);
  }

  /** Pins the spare's network namespace by the pod's name, {@code pods}' path for the pod's id. */
  public Path adoptNetwork(Spare spare, NetworkNamespaces pods) throws IOException {
    Path pinned = pods.adopt(spare.id(), spare.netns());
    spareNamespaces.remove(spare.id());
    return pinned;
  }

  /**
   * Makes the spare the pod's infra: the pod's hostname in its UTS namespace (null: the node's, as
   * it has), the process in {@code infraCgroup} (made here, every device denied, as the runtime
   * makes an infra's own), then the spare's own cgroup and directory go. Called once the pod's
   * creation note is on disk: from here on only the pod's undo knows the infra.
   */
  public long adoptProcess(Spare spare, String infraCgroup, String hostname, StepTimes times) throws IOException {
    if (hostname != null) {
      UtsHostname.set(Path.of("/proc/" + spare.pid() + "/ns/uts"), hostname);
      times.mark("spare hostname");
    }
    // Made at nice 19 (refill), the pod's infra runs at the daemon's, as an infra of its own would.
    Syscalls.setNice(spare.pid(), daemonNice);
    parts.cgroups().create(infraCgroup);
    parts.cgroups().denyAllDevices(infraCgroup);
    times.mark("spare's pod cgroup");
    parts.cgroups().place(spare.pid(), infraCgroup);
    times.mark("spare moved");
    parts.cgroups().remove(cgroupOf(spare.id()));
    times.mark("spare's cgroup removed");
    FileTrees.deleteRecursively(parts.directory().resolve(spare.id()));
    times.mark("spare handed over");
    return spare.pid();
  }

  /**
   * What is left of a spare a pod took and did not get to keep (its create failed): the runtime's
   * container and what the spare had of its own. Harmless for what the pod's own release removed.
   */
  public ReleaseStep discard(Spare spare) {
    return new ReleaseStep("discard the spare infra " + spare.id(), () -> discard(spare.id()));
  }

  /**
   * Start-up, before serving: every spare a killed daemon left (made, being made, or taken and
   * not yet handed over) is deleted with what it had. A taken one's pod is undone by its creation
   * note as any half-made pod.
   */
  public int discardLeftovers() throws IOException {
    List<String> ids = new ArrayList<>();
    try (Stream<Path> entries = Files.list(parts.directory())) {
      entries.map(e -> e.getFileName().toString()).filter(Ids::isFullId).forEach(ids::add);
    }
    try (Stream<Path> pins = Files.list(parts.directory().resolve(NETNS_DIR))) {
      pins.map(e -> e.getFileName().toString()).filter(Ids::isFullId).filter(id -> !ids.contains(id))
          .forEach(ids::add);
    }
    int discarded = 0;
    for (String id : ids) {
      try {
        discard(id);
        discarded++;
        log.info("discarded spare infra {} left by an earlier daemon", id);
      } catch (ShimException | IOException e) {
        // Its directory stays, so the next start tries again; pods meanwhile get ids of their own.
        log.warn("discarding spare infra {} left by an earlier daemon: {}", id, e.toString());
      }
    }
    return discarded;
  }

  /**
   * Stops making spares (one being made is awaited, and discarded by its maker), discards the
   * ready ones and their parent cgroup, which holds nothing else.
   */
  @Override
  public void close() {
    List<Spare> left;
    Thread maker;
    synchronized (this) {
      closed = true;
      left = new ArrayList<>(ready);
      ready.clear();
      maker = refiller;
    }
    if (maker != null) {
      try {
        maker.join(RUN_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    left.forEach(spare -> discardQuietly(spare.id()));
    try {
      parts.cgroups().remove(parts.cgroupParent());
    } catch (IOException | RuntimeException e) {
      log.warn("removing the spare infras' cgroup {}: {}", parts.cgroupParent(), e.toString());
    }
  }

  private void startRefill() {
    if (refiller == null && ready.size() < size) {
      refiller = Thread.ofPlatform().daemon().name("spare-infras").start(this::makeSpares);
    }
  }

  private void makeSpares() {
    try {
      // Nice 19 for this thread, and so for the runc it spawns and the infra runc starts: on a small
      // node a spare is made while the pod that took the last one still starts (its CNI ADD, its
      // first container's runc create), and must not take the CPU from it.
      Syscalls.setNice(0, SPARE_NICE);
    } catch (IOException e) {
      log.debug("spare infras made at the daemon's own priority: {}", e.getMessage());
    }
    while (true) {
      synchronized (this) {
        if (closed || !wanted || ready.size() >= size) {
          refiller = null;
          return;
        }
      }
      Spare spare;
      try {
        spare = make();
      } catch (IOException | ShimException | RuntimeException e) {
        // The next take tries again; a pod meanwhile makes its own infra and reports what fails there.
        log.warn("making a spare infra: {}", e.toString());
        synchronized (this) {
          refiller = null;
        }
        return;
      }
      boolean keep;
      synchronized (this) {
        keep = !closed;
        if (keep) {
          ready.addLast(spare);
        }
      }
      if (!keep) {
        discardQuietly(spare.id());
      }
    }
  }

  private Spare make() throws IOException, ShimException {
    String id = Ids.newId();
    // First, before any side effect: a daemon killed from here on finds the spare to discard.
    Path dir = PrivateDirectory.create(parts.directory().resolve(id));
    try {
      Path netns = spareNamespaces.create(id);
      Path bundle = PrivateDirectory.create(dir.resolve("bundle"));
      OciSpecJson.write(bundle, InfraOciSpec.spare(parts.infraRootfs(), netns.toString(), cgroupOf(id),
          parts.oomScoreAdj()));
      long pid = parts.detached().runDetached(id, bundle, "", RUN_TIMEOUT);
      log.debug("spare infra {} ready, pid {}", id, pid);
      return new Spare(id, pid, netns);
    } catch (IOException | ShimException | RuntimeException e) {
      discardQuietly(id);
      throw e;
    }
  }

  private void discard(String id) throws IOException, ShimException {
    parts.runtime().delete(id);
    spareNamespaces.remove(id);
    parts.cgroups().remove(cgroupOf(id));
    FileTrees.deleteRecursively(parts.directory().resolve(id));
  }

  private void discardQuietly(String id) {
    try {
      discard(id);
    } catch (IOException | ShimException | RuntimeException e) {
      log.warn("discarding spare infra {} (the next start tries again): {}", id, e.toString());
    }
  }

  /** The nice value in a {@code /proc/PID/stat} line: its 19th field, counted past the command's parenthesis. */
  static int niceOf(String procStat) {
    String[] afterCommand = procStat.substring(procStat.lastIndexOf(')') + 2).trim().split(" ");
    return Integer.parseInt(afterCommand[19 - 3]);
  }

  private String cgroupOf(String id) {
    return parts.cgroupParent() + "/" + id;
  }
}
