package dev.berth.runtime.server;

import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.image.ImageStore;
import dev.berth.image.RegistryHosts;
import dev.berth.image.store.RecordFormat;
import dev.berth.linux.MountTable;
import dev.berth.linux.PosixSpawn;
import dev.berth.image.store.PrivateDirectory;
import dev.berth.runtime.BerthVersion;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.cni.NetworkConfigProbe;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.config.StreamingAddress;
import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerIntent;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.container.ContainerRelease;
import dev.berth.runtime.container.NodeContainerParts;
import dev.berth.runtime.shims.ShimMonitor;
import dev.berth.runtime.cri.ManagedWorkloads;
import dev.berth.runtime.cri.RuntimeCriService;
import dev.berth.runtime.cri.RuntimeInfo;
import dev.berth.runtime.events.ContainerEvents;
import dev.berth.runtime.handler.KernelVersion;
import dev.berth.runtime.handler.RuntimeHandlers;
import dev.berth.runtime.metrics.CallMetricsInterceptor;
import dev.berth.runtime.metrics.ContainerMetricsText;
import dev.berth.runtime.metrics.ContainerSeries;
import dev.berth.runtime.metrics.CriMetrics;
import dev.berth.runtime.metrics.DaemonMeters;
import dev.berth.runtime.metrics.MetricsServer;
import dev.berth.runtime.model.StepTimes;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.recovery.HalfMadeObjects;
import dev.berth.runtime.recovery.StartedWhileDown;
import dev.berth.runtime.sandbox.InfraProcess;
import dev.berth.runtime.sandbox.InfraRootfs;
import dev.berth.runtime.sandbox.NodePodParts;
import dev.berth.runtime.sandbox.PinnedNamespaces;
import dev.berth.runtime.sandbox.PodNamespaceChoice;
import dev.berth.runtime.sandbox.PodRelease;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxIntent;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SpareInfras;
import dev.berth.runtime.sandbox.SandboxState;
import dev.berth.runtime.stats.ImageFilesystem;
import dev.berth.runtime.stats.NetDev;
import dev.berth.runtime.stats.ProcessCounter;
import dev.berth.runtime.stats.StatsCollector;
import dev.berth.runtime.stats.WritableLayers;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.stream.ContainerStreamRuntime;
import dev.berth.runtime.stream.PortDialer;
import dev.berth.runtime.stream.StreamTimeouts;
import dev.berth.runtime.stream.StreamingServer;
import dev.berth.runtime.sys.ProcFiles;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.runtime.userns.UserNamespaceSupport;
import dev.berth.shim.ConmonShim;
import dev.berth.shim.RuntimeBinary;
import dev.berth.shim.ShimConfig;
import io.grpc.BindableService;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCalls;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Berth daemon: its root lock, its managers, its CRI server and the servers beside it
 * (streaming, metrics). Start-up takes each part in order and, if a later one fails, closes the
 * earlier ones in reverse.
 */
public final class Daemon {

  private static final Logger log = LoggerFactory.getLogger(Daemon.class);
  /** How long a port forward waits for a pod's port to accept its connection. */
  private static final Duration PORT_FORWARD_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** A writable layer's size is walked again at most this often (in the background). */
  private static final Duration LAYER_USAGE_MAX_AGE = Duration.ofSeconds(2);
  /** The pause container's "/": the only directory below the root that keeps a mode others may search. */
  private static final String INFRA_ROOTFS = "infra-rootfs";
  /**
   * Directories a container sees as its own and that keep their modes: the pause rootfs, each
   * container's rootfs mount point and overlay upper dir (the top of its "/"), a pod's /dev/shm.
   */
  private static final Set<String> CONTAINER_OWNED_DIRS = Set.of(INFRA_ROOTFS, "rootfs", "upper", "shm");
  /** How soon a dead conmon is noticed without any CRI call. */
  private static final Duration SHIM_CHECK_PERIOD = Duration.ofSeconds(1);

  private final BerthConfig config;
  private final RootLock lock;
  private final CriServer server;
  /** Everything else that holds threads, files or sockets, closed last-opened first. */
  private final Deque<AutoCloseable> parts;
  private final ContainerEvents events;

  private Daemon(BerthConfig config, RootLock lock, CriServer server, Deque<AutoCloseable> parts,
      ContainerEvents events) {
    this.events = events;
    this.config = config;
    this.lock = lock;
    this.server = server;
    this.parts = parts;
  }

  /**
   * Locks the root, recovers state, then serves CRI; undoes what it did if a step fails. {@code
   * preload} is the work begun while the configuration was read.
   */
  public static Daemon start(BerthConfig config, StartPreload preload) throws IOException {
    long started = System.nanoTime();
    // Where a fresh daemon's start goes, at debug: the first thing a node waits for after a boot.
    StepTimes steps = new StepTimes("daemon start");
    PrivateDirectories.create(config.root());
    PrivateDirectories.create(config.state());
    RootLock lock = RootLock.acquire(config.root());
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    CriServer server = null;
    StartupGate gate = null;
    try {
      Path root = config.root();
      Path state = config.state();
      BerthConfig.Runtime runtime = config.runtime();
      IdmapStaging idmap = new IdmapStaging(idmapDirectory(state));
      idmap.prepare();
      KernelVersion kernel = KernelVersion.parse(ProcFiles.read(Path.of("/proc/sys/kernel/osrelease")));
      // The runtimes' `features` and the idmap check wait on processes: they run beside the
      // stores, the managers and the recovery, and only the CRI services need their answer.
      CompletableFuture<RuntimeHandlers> probedHandlers = CompletableFuture.supplyAsync(
          () -> RuntimeHandlers.probe(runtime, kernel, nodeIdmaps(root, state, idmap)), StartPreload::onOwnThread);
      steps.mark("runtime handler probes started");
      CriuSupport criu = new CriuSupport(runtime.criu());
      ConmonShim shim = new ConmonShim(new ShimConfig(runtime.conmon(), runtime.ociRuntime(),
          state.resolve("runc"), state.resolve("exits"), state.resolve("shims"), attachSocketDir(state),
          namedRuntimes(runtime, state.resolve("runtimes")), criu.binary().orElse(null)));
      steps.mark("shim");
      // Before anything is served: no client of an earlier daemon's exec is still connected.
      shim.releaseOrphanedExecs();
      steps.mark("orphaned execs");
      ImageStore images = ImageStore.open(root.resolve("images"), new RegistryHosts(config.registry().mirrors(),
          Set.copyOf(config.registry().plainHttpHosts()),
          java.time.Duration.ofSeconds(config.registry().pullProgressTimeoutSeconds())),
          config.images().maxLayerUnpackedBytes());
      opened.push(images);
      steps.mark("image store");
      // Served from here on, before the records, the recovery and the stats: Version answers at
      // once, every other call waits until the services open below (StartupGate), so nothing
      // sees a partial list or a probe not yet made.
      gate = new StartupGate(List.of(RuntimeServiceGrpc.getServiceDescriptor(),
          images.criService().bindService().getServiceDescriptor(),
          images.adminService().bindService().getServiceDescriptor()), List.of(versionWhileStarting()));
      preload.awaitTransport();
      steps.mark("netty preload wait");
      PrometheusMeterRegistry registry = preload.registry();
      steps.mark("meter registry wait");
      server = CriServer.start(config.socket(), gate,
          List.of(new CallMetricsInterceptor(registry), new HeapReleaseInterceptor()));
      OldGenerationCeiling.installOnce();
      steps.mark("cri server");
      // Not waited for: first-use costs of the first pod (binding the namespace calls, building the
      // serializers of its records and its OCI spec), paid beside the recovery rather than by a
      // fresh node's first RunPodSandbox and CreateContainer; started only now, so that its CPU
      // time does not delay the first answer on a small node.
      StartPreload.onOwnThread(Daemon::prepareFirstPod);
      RecordStore<Sandbox> sandboxStore = new RecordStore<>(root.resolve("sandboxes"), Sandbox.class);
      RecordStore<Container> containerStore = new RecordStore<>(root.resolve("containers"), Container.class);
      NetworkConfigProbe probe = new NetworkConfigProbe(config.cni().confDir(), config.cni().binDirs());
      CniNetwork cni = new CniNetwork(config.cni().confDir(), config.cni().binDirs(),
          PrivateDirectory.create(root.resolve("cni-cache")));
      int oomFloor = Integer.parseInt(ProcFiles.read(Path.of("/proc/self/oom_score_adj")).trim());
      CgroupModel cgroups = CgroupModel.detect();
      log.info("cgroups: {}", cgroups);

      steps.mark("records, cni, cgroup model");
      ContainerEvents events = new ContainerEvents();
      Path podsDir = PrivateDirectory.create(state.resolve("pods"));
      NetworkNamespaces namespaces = new NetworkNamespaces(PrivateDirectory.create(state.resolve("netns")));
      PodNamespacePins pins = new PodNamespacePins(PrivateDirectory.create(state.resolve("podns")));
      Path infraRootfs = InfraRootfs.prepare(root.resolve(INFRA_ROOTFS), runtime.catatonit());
      PodNamespaceChoice podNamespaces = new PodNamespaceChoice(runtime.infraContainer(),
          new InfraProcess(shim, shim, sandboxStore::objectDir, infraRootfs, oomFloor, pins, idmap),
          new PinnedNamespaces(pins, namespaces, cgroups, idmap));
      SpareInfras spares = new SpareInfras(new SpareInfras.Parts(shim, shim, cgroups, state.resolve(SpareInfras.NAME),
          infraRootfs, oomFloor, runtime.defaultCgroupParent() + "/" + SpareInfras.NAME, runtime.spareInfras()));
      // One release per kind of object, for every path that takes one down.
      PodRelease podRelease = new PodRelease(new NodePodParts(sandboxStore, podsDir, namespaces, cni, cgroups),
          podNamespaces);
      ContainerRelease containerRelease = new ContainerRelease(
          new NodeContainerParts(containerStore, shim, images, cgroups, idmap));
      SandboxManager sandboxes = new SandboxManager(new SandboxManager.Parts(sandboxStore, podsDir,
          runtime.defaultCgroupParent(), namespaces,
          cni, () -> requireNetwork(probe), shim, cgroups, podNamespaces, podRelease, spares));
      ContainerManager containers = new ContainerManager(new ContainerManager.Parts(containerStore,
          state.resolve("pods"), images, shim, sandboxes, oomFloor, runtime.pidsLimit(), events,
          criu, cgroups, containerRelease, idmap));

      steps.mark("managers");
      // Spares of an earlier daemon are its own: nothing of a pod, which its creation note undoes.
      spares.discardLeftovers();
      opened.push(spares);
      // Watch before recovering, so that no exit falls between the two.
      opened.push(shim.watchExits(containers::onExit));
      Recovery.run(sandboxStore, containerStore, sandboxes, containers, shim,
          new HalfMadeObjects(new HalfMadeObjects.Parts(sandboxStore, containerStore, podRelease, containerRelease,
              runtime.defaultCgroupParent())),
          new StartedWhileDown(shim));
      PrivateDirectories.restrictTree(root, CONTAINER_OWNED_DIRS, Set.of("layers", "tmp"));
      PrivateDirectories.restrictTree(state, CONTAINER_OWNED_DIRS, Set.of("runc"));
      QuarantinedObjects.cleanUp(
          new QuarantinedObjects.SandboxParts(sandboxStore.quarantineDir(), podRelease, runtime.defaultCgroupParent(),
              sandboxes, containers),
          new QuarantinedObjects.ContainerParts(containerStore.quarantineDir(), containerRelease));
      // Last: what recovery and quarantine released, or a killed daemon never finished, goes now.
      idmap.sweep(sandboxes.list().stream().map(Sandbox::id).collect(Collectors.toSet()),
          containers.list().stream().map(Container::id).collect(Collectors.toSet()));
      opened.push(ShimMonitor.start(shim, List.of(containers, sandboxes), SHIM_CHECK_PERIOD));
      steps.mark("recovery");

      Path imagesMount = MountTable.mountPointOf(root.resolve("images").toAbsolutePath());
      WritableLayers layers = new WritableLayers(images::upperDir, imagesMount.toString(), LAYER_USAGE_MAX_AGE);
      opened.push(layers);
      StatsCollector stats = new StatsCollector(cgroups.reader(), new ManagedWorkloads(sandboxes, containers),
          layers, new NetDev(Path.of("/proc")), new ProcessCounter(Path.of("/proc")), new ImageFilesystem(imagesMount));
      ContainerSeries series = new ContainerSeries(config.metricsPerCpuUsage());
      steps.mark("stats");
      DaemonMeters meters = new DaemonMeters(registry);
      meters.countByState("berth.containers", "Containers by state", ContainerState.values(), containers::list,
          Container::state);
      meters.countByState("berth.pods", "Pod sandboxes by state", SandboxState.values(), sandboxes::list,
          Sandbox::state);
      steps.mark("meters");

      RuntimeHandlers handlers = probedHandlers.join();
      shim.runcHandlers(handlers.runcHandlers());
      steps.mark("runtime handlers wait");
      // Streaming starts once the CRI socket is ours, so a second daemon is refused for the
      // socket it would share rather than for the streaming port.
      AtomicReference<StreamingServer> streaming = new AtomicReference<>();
      List<BindableService> services = List.of(
          new RuntimeCriService(new RuntimeInfo(config, probe, handlers, criu), sandboxes, containers, handlers,
              request -> streamingUrl(streaming.get(), request), stats, new CriMetrics(series), events),
          images.criService(),
          images.adminService());
      steps.mark("cri services");
      gate.open(services);
      steps.mark("cri services open");
      streaming.set(StreamingServer.start(
          StreamingAddress.parse(config.streamingAddress(), "streaming_address"),
          Duration.ofSeconds(config.streamingTokenTtlSeconds()),
          new StreamTimeouts(Duration.ofSeconds(config.streamingHandshakeTimeoutSeconds()),
              Duration.ofSeconds(config.streamingIdleTimeoutSeconds())),
          new ContainerStreamRuntime(containers, sandboxes), new PortDialer(PORT_FORWARD_CONNECT_TIMEOUT)));
      opened.push(streaming.get());
      if (!config.metricsAddress().equals(BerthConfig.METRICS_OFF)) {
        opened.push(MetricsServer.start(socketAddress(config.metricsAddress()), registry,
            new ContainerMetricsText(stats, series)));
      }
      steps.mark("streaming and metrics servers");
      steps.log(log);
      log.info("berth {} serving CRI on {} (root {}, state {}) after {} ms", BerthVersion.current(),
          config.socket(), config.root(), config.state(), (System.nanoTime() - started) / 1_000_000);
      return new Daemon(config, lock, server, opened, events);
    } catch (IOException | RuntimeException e) {
      if (gate != null) {
        gate.fail(e);
      }
      if (server != null) {
        stopQuietly(server);
        Files.deleteIfExists(config.socket());
      }
      opened.forEach(Daemon::closeQuietly);
      lock.close();
      throw e;
    }
  }

  /** Version needs nothing of the node's state: it answers while the daemon is still starting. */
  private static ServerMethodDefinition<VersionRequest, VersionResponse> versionWhileStarting() {
    return ServerMethodDefinition.create(RuntimeServiceGrpc.getVersionMethod(),
        ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(RuntimeInfo.versionOf(request));
          response.onCompleted();
        }));
  }

  private static void prepareFirstPod() {
    try {
      NetworkNamespaces.prepareFirstUse();
      RecordFormat.prepareFirstUse(SandboxIntent.class, Sandbox.class, ContainerIntent.class, Container.class);
      OciSpecJson.prepareFirstUse();
      PosixSpawn.prepareFirstUse();
    } catch (IOException | RuntimeException e) {
      // The first pod does this work itself and reports what fails there.
      log.debug("preparing the first pod's calls and serializers: {}", e.toString());
    }
  }

  /**
   * Beside the state directory, not in it: a pod's root must search its way to the idmapped root
   * filesystems, and the state directory stays private (0700).
   */
  private static Path idmapDirectory(Path state) {
    Path absolute = state.toAbsolutePath().normalize();
    return absolute.resolveSibling(absolute.getFileName() + "-idmap");
  }

  /** Whether pods may have a user namespace of their own here; why not is logged once. */
  private static boolean nodeIdmaps(Path root, Path state, IdmapStaging idmap) {
    Optional<String> problem = UserNamespaceSupport.problem(List.of(root, state), idmap.directory());
    problem.ifPresent(why -> log.info("pods with their own user namespace (userns_options mode POD) are not offered"
        + " on this node: {}", why));
    return problem.isEmpty();
  }

  /**
   * Each named handler keeps its runtime's state in its own root; the default keeps state/runc.
   * From the configuration, so that the shim need not wait for the handlers' feature probes.
   */
  private static List<RuntimeBinary> namedRuntimes(BerthConfig.Runtime runtime, Path runtimesDir) {
    return new TreeMap<>(runtime.handlers()).entrySet().stream()
        .filter(h -> !h.getKey().equals(RuntimeHandlers.DEFAULT))
        .map(h -> new RuntimeBinary(h.getKey(), h.getValue(), runtimesDir.resolve(h.getKey())))
        .toList();
  }

  private static String streamingUrl(StreamingServer server, dev.berth.runtime.stream.StreamRequest request) {
    if (server == null) {
      throw new CriException.FailedPrecondition("the streaming server is not listening yet");
    }
    return server.url(request);
  }

  /**
   * Attach sockets live at {@code <dir>/<64-hex id>/attach}, and a unix socket path holds at most
   * 107 bytes: the directory may take 35. Refuse at start rather than at the first container.
   */
  private static Path attachSocketDir(Path state) throws IOException {
    Path dir = state.toAbsolutePath().resolve("sockets");
    if (dir.toString().length() > 35) {
      throw new IOException("state directory " + state + " is too long for attach sockets (" + dir
          + " must be at most 35 characters); choose a shorter --state");
    }
    return dir;
  }

  private static InetSocketAddress socketAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
  }

  /** RunPodSandbox needs a usable CNI config; without one the pod cannot get a network. */
  private static void requireNetwork(NetworkConfigProbe probe) {
    NetworkConfigProbe.Readiness readiness = probe.probe();
    if (!readiness.ready()) {
      throw new CriException.FailedPrecondition("pod network is not ready: " + readiness.message());
    }
  }

  /** Drains in-flight calls (bounded by the configured timeout), removes the socket, unlocks. */
  public void stop() throws IOException, InterruptedException {
    // Event streams never finish on their own; end them so that the drain does not wait for them.
    events.close();
    boolean drained = server.stop(Duration.ofSeconds(config.shutdownTimeoutSeconds()));
    parts.forEach(Daemon::closeQuietly);
    Files.deleteIfExists(config.socket());
    lock.close();
    log.info("berth stopped{}", drained ? "" : " (some calls were cancelled)");
  }

  private static void stopQuietly(CriServer server) {
    try {
      server.stop(Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("closing {}: {}", closeable.getClass().getSimpleName(), e.toString());
    }
  }
}
