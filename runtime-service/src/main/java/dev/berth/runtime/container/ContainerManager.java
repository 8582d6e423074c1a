package dev.berth.runtime.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.image.ImageNotFoundException;
import dev.berth.image.ImageStore;
import dev.berth.image.ResolvedImage;
import dev.berth.image.reference.InvalidReferenceException;
import dev.berth.image.store.PrivateDirectory;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.checkpoint.CheckpointArchive;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.events.ContainerEvent;
import dev.berth.runtime.events.ContainerEvents;
import dev.berth.runtime.model.StepTimes;
import dev.berth.runtime.model.Clock;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.IdIndex;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.KeyedLocks;
import dev.berth.runtime.model.NameRegistry;
import dev.berth.runtime.model.Undo;
import dev.berth.runtime.oci.Capabilities;
import dev.berth.runtime.oci.HostDevice;
import dev.berth.runtime.oci.HostDevices;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciSpec;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.oci.SeccompProfiles;
import dev.berth.runtime.sandbox.PodFiles;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import dev.berth.runtime.store.AtomicFiles;
import dev.berth.runtime.store.CreationIntent;
import dev.berth.runtime.shims.OrphanedProcesses;
import dev.berth.runtime.shims.ShimOwner;
import dev.berth.runtime.store.PlainFiles;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.runtime.userns.UserNamespaceMapping;
import dev.berth.shim.OciRuntime;
import dev.berth.shim.CreateRequest;
import dev.berth.shim.CreatedProcess;
import dev.berth.shim.PendingCreate;
import dev.berth.shim.AttachConnection;
import dev.berth.shim.ExecResult;
import dev.berth.shim.ExecSession;
import dev.berth.shim.ExitRecord;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, starts, stops and removes containers in pod sandboxes: the OCI bundle, the rootfs
 * from the image store, one conmon shim each, and the state transitions driven by exit files.
 */
public final class ContainerManager implements ShimOwner {

  private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);
  /** As the record store reads records: fields an older or newer Berth wrote are ignored or defaulted. */
  private static final ObjectMapper RECORD_JSON = new ObjectMapper()
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  /** A restored container's note that it waits, frozen, for StartContainer. */
  private static final String RESTORED_FROZEN = "restored-frozen";
  private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  /** Paths and parts a container manager works with. */
  public record Parts(RecordStore<Container> store, Path podsDir, ImageStore images, OciRuntime shim,
      SandboxManager sandboxes, int oomScoreAdjFloor, long pidsLimit, ContainerEvents events, CriuSupport criu,
      CgroupModel cgroups, ContainerRelease release, IdmapStaging idmap) {}

  private final Parts parts;
  private final ImageVolumes imageVolumes;
  private final RuntimeCgroupLimits runtimeLimits;
  private final IdIndex<Container> containers = new IdIndex<>();
  private final NameRegistry names = new NameRegistry("container");
  private final KeyedLocks locks = new KeyedLocks();
  private final ConcurrentHashMap<String, CompletableFuture<Void>> exits = new ConcurrentHashMap<>();
  /** Each container's process as its spec has it: an exec starts from it. */
  private final ConcurrentHashMap<String, OciSpec.Process> processes = new ConcurrentHashMap<>();

  public ContainerManager(Parts parts) {
    this.parts = parts;
    this.imageVolumes = new ImageVolumes(parts.images());
    this.runtimeLimits = new RuntimeCgroupLimits(parts.cgroups());
  }

  /** Adopts a container loaded (and reconciled) at start-up. */
  public void adopt(Container container) {
    names.reserve(nameKey(container.spec().name(), container.spec().attempt(), container.sandboxId()), container.id());
    containers.put(container.id(), container);
    if (container.isLive()) {
      exits.put(container.id(), new CompletableFuture<>());
    }
  }

  public Container create(String sandboxIdOrPrefix, ContainerRequest request) {
    Sandbox sandbox = parts.sandboxes().require(sandboxIdOrPrefix);
    if (sandbox.state() != SandboxState.READY) {
      throw new CriException.FailedPrecondition("pod sandbox " + sandbox.id() + " is not ready");
    }
    String id = Ids.newId();
    String name = nameKey(request.name(), request.attempt(), sandbox.id());
    names.reserve(name, id);
    Undo undo = new Undo();
    undo.push("release name", () -> names.release(name, id));
    try {
      Container container = locks.with(id, () -> createLocked(id, sandbox, request, undo));
      undo.commit();
      return container;
    } catch (RuntimeException | Error e) {
      // An Error too (out of memory half way): what the create did so far must not stay behind.
      undo.rollback();
      throw e;
    }
  }

  private Container createLocked(String id, Sandbox sandbox, ContainerRequest request, Undo undo) {
    StepTimes times = new StepTimes("create container " + id);
    if (CheckpointArchive.isArchivePath(request.image())) {
      return restoreLocked(id, sandbox, request, undo, times);
    }
    ResolvedImage image;
    try {
      image = parts.images().resolve(request.image());
    } catch (ImageNotFoundException e) {
      throw new CriException.NotFound("image \"" + request.image() + "\" not found");
    } catch (InvalidReferenceException e) {
      throw new CriException.InvalidArgument("container config image.image: " + e.getMessage());
    } catch (java.io.UncheckedIOException e) {
      throw new CriException.Internal(e.getMessage() + ": " + e.getCause().getMessage(), e);
    }
    Path logPath = logPath(sandbox, request.logPath());
    try {
      Path bundle = parts.store().objectDir(id).resolve("bundle");
      ContainerRelease.Target target = releaseTarget(id, sandbox);
      // Before the first side effect: a daemon killed from here on leaves a note of what to undo.
      // Pushed first: a note that fails half-written (a full disk) must not leave its directory.
      pushReleaseOfDirectory(undo, target);
      CreationIntent.write(parts.store().objectDir(id),
          new ContainerIntent(sandbox.id(), sandbox.cgroupParent() + "/" + id));
      PrivateDirectory.create(bundle);
      times.mark("image and dirs");
      // conmon starts now and waits for its start byte: its own start-up runs beside the rootfs
      // mount and the bundle, and it is ended unused should either fail.
      try (PendingCreate runtimeCreate = parts.shim().beginCreate(new CreateRequest(id, bundle, logPath,
          request.stdin(), request.stdinOnce(), request.tty(), CREATE_TIMEOUT, sandbox.spec().runtimeHandler(), null))) {
        times.mark("conmon launch");
        Path rootfs = mountRootfs(id, sandbox, image, bundle, target, undo);
        times.mark("rootfs mount");

        String stopSignal = !request.stopSignal().isEmpty() ? request.stopSignal()
            : !image.config().stopSignal().isEmpty() ? image.config().stopSignal() : "SIGTERM";
        Signals.number(stopSignal);
        List<MountSpec> mounts = resolveMounts(imageVolumes.prepare(id, parts.store().objectDir(id), request.mounts(),
            undo, imageVolumePlacement(id, sandbox)));
        if (!sandbox.spec().ownUserNamespace() && mounts.stream().anyMatch(m -> m.idmap() != null)) {
          throw new CriException.FailedPrecondition("create container " + request.name()
              + ": mounts with uidMappings/gidMappings need a pod with its own user namespace (userns_options mode POD)");
        }
        // Resolved before the pure translation: in a pod with its own user namespace, the pod's
        // files and host paths are bound from idmapped copies (released with the container's idmap tree).
        BindSources binds = bindSources(id, sandbox);
        ContainerOciSpec.Pod pod = pod(sandbox, request, id, rootfs, binds);
        List<MountSpec> bound = boundMounts(mounts, binds);
        times.mark("mounts");
        ContainerOciSpec.Translated translated = ContainerOciSpec.translate(request,
            new ProcessPlan.ImageDefaults(image.config().entrypoint(), image.config().cmd(), image.config().env(),
                image.config().workingDir(), image.config().user()),
            pod, node(), hostFacts(request, rootfs, bound));
        ProcessPlan process = translated.process();
        ContainerSpec spec = new ContainerSpec(request.name(), request.attempt(), request.image(), image.id(),
            image.repoDigests().isEmpty() ? image.id() : image.repoDigests().getFirst(), process.args(), process.env(),
            process.workingDir(), process.uid(), process.gid(), translated.supplementalGroups(), mounts,
            request.devices(), request.labels(),
            request.annotations(), logPath == null ? "" : logPath.toString(), request.stdin(), request.stdinOnce(),
            request.tty(), stopSignal, request.resources(), request.userSpecifiedImage());

        OciSpecJson.write(bundle, translated.spec());
        processes.put(id, translated.spec().process());
        undo.push("forget process", () -> processes.remove(id));
        times.mark("bundle");
        undo.push(parts.release().runtimeContainer(target));
        CreatedProcess created = runtimeCreate.finish();
        times.mark("runc create");
        applyHeldBackLimits(sandbox.cgroupParent() + "/" + id, request.resources());
        return recordCreated(id, sandbox, spec, created, times);
      }
    } catch (IOException | ShimException e) {
      throw new CriException.Internal("create container " + request.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * CreateContainer of a checkpoint archive (KEP-2008, CRI-O's convention): the container is
   * recreated in this pod from the image it ran plus its rootfs changes, and CRIU restores its
   * processes through {@code conmon --restore}. They run as soon as CRIU is done, but a created
   * container must not run before StartContainer: it stays frozen until then (a {@value
   * #RESTORED_FROZEN} note in its directory tells StartContainer to thaw it instead of starting it).
   */
  private Container restoreLocked(String id, Sandbox sandbox, ContainerRequest request, Undo undo, StepTimes times) {
    Path archive = Path.of(request.image());
    String what = "restore container " + request.name() + " from checkpoint archive " + archive;
    requireCriu(what);
    if (sandbox.spec().ownUserNamespace()) {
      throw new CriException.FailedPrecondition(what + ": restoring into a pod with its own user namespace is not"
          + " supported");
    }
    Path dir = parts.store().objectDir(id);
    Path bundle = dir.resolve("bundle");
    Path rootfs = bundle.resolve("rootfs");
    ContainerRelease.Target target = releaseTarget(id, sandbox);
    try {
      pushReleaseOfDirectory(undo, target);
      CreationIntent.write(dir, new ContainerIntent(sandbox.id(), sandbox.cgroupParent() + "/" + id));
      CheckpointArchive.Unpacked checkpoint;
      ContainerSpec archived;
      try {
        checkpoint = CheckpointArchive.unpack(archive, Files.createDirectories(dir.resolve("checkpoint")));
        archived = RECORD_JSON.readValue(checkpoint.container().toFile(), ContainerSpec.class);
      } catch (IOException e) {
        throw new CriException.InvalidArgument(what + ": " + e.getMessage());
      }
      ResolvedImage image;
      try {
        image = parts.images().resolve(archived.imageId());
      } catch (ImageNotFoundException e) {
        throw new CriException.NotFound(what + ": the image it was taken from (" + archived.image() + ", "
            + archived.imageId() + ") is not on this node; pull it first");
      }
      times.mark("archive");
      Files.createDirectories(rootfs);
      parts.images().mountRootfs(id, image.id(), rootfs, checkpoint::extractRootfsChanges);
      undo.push(parts.release().rootfs(target));
      times.mark("rootfs mount and changes");

      Path logPath = logPath(sandbox, request.logPath());
      ContainerSpec spec = RestoredContainer.spec(archived, request, logPath == null ? "" : logPath.toString());
      if (logPath != null && checkpoint.log().isPresent()) {
        // The log so far, so that the restored process's output continues it.
        Files.copy(checkpoint.log().get(), logPath, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      SandboxManager pod = parts.sandboxes();
      PodFiles files = new PodFiles(parts.podsDir(), sandbox.id());
      // The pod's PID namespace if it has one to share: the container was checkpointed in one only
      // if its old pod shared one (RestoredContainer joins only what the checkpoint had joined).
      NamespacePlan namespaces = podNamespaces(sandbox,
          sandbox.spec().hostPid() ? NamespacePlan.HOST : pod.namespacePath(sandbox, "pid"));
      OciSpec config = RestoredContainer.retarget(OciSpecJson.read(checkpoint.ociConfig().toFile()),
          new RestoredContainer.PodPlace(rootfs, sandbox.cgroupParent() + "/" + id, namespaces,
              java.util.Map.of("/etc/hostname", files.hostname(), "/etc/hosts", files.hosts(),
                  "/etc/resolv.conf", files.resolvConf(), "/dev/shm", files.shm()),
              parts.podsDir()));
      OciSpecJson.write(bundle, config);
      processes.put(id, config.process());
      undo.push("forget process", () -> processes.remove(id));
      PlainFiles.write(dir.resolve(RESTORED_FROZEN), new byte[0]);
      times.mark("bundle");
      undo.push(parts.release().runtimeContainer(target));
      CreatedProcess created = parts.shim().create(new CreateRequest(id, bundle, logPath, spec.stdin(),
          spec.stdinOnce(), spec.tty(), CREATE_TIMEOUT, sandbox.spec().runtimeHandler(), checkpoint.criuImages()));
      parts.shim().pause(id);
      times.mark("conmon + runc restore");
      deleteTree(checkpoint.dir());
      return recordCreated(id, sandbox, spec, created, times);
    } catch (IOException | ShimException e) {
      throw new CriException.Internal(what + ": " + e.getMessage(), e);
    }
  }

  /**
   * The container's rootfs overlay: in its bundle, or, in a pod with its own user namespace, in
   * the pod's idmap tree over idmapped copies of its layers, where the pod's root can reach it.
   * The release steps are pushed before the mount, which may fail half way (the idmapped mounts
   * after the rootfs: the overlay over them goes first). Image volumes pushed later are undone
   * before the idmapped mounts: that only drops their records, their overlays (no upper
   * directory) go with the idmapped mounts next.
   */
  private Path mountRootfs(String id, Sandbox sandbox, ResolvedImage image, Path bundle,
      ContainerRelease.Target target, Undo undo) throws IOException {
    if (!sandbox.spec().ownUserNamespace()) {
      Path rootfs = PrivateDirectory.create(bundle.resolve("rootfs"));
      parts.images().mountRootfs(id, image.id(), rootfs);
      undo.push(parts.release().rootfs(target));
      return rootfs;
    }
    undo.push(parts.release().rootfs(target));
    parts.release().idmappedMounts(target).ifPresent(undo::push);
    UserNamespaceMapping mapping = sandbox.spec().userNamespace();
    Path rootfs = parts.idmap().rootfsMountpoint(sandbox.id(), id, mapping);
    parts.images().mountRootfs(id, image.id(), rootfs,
        parts.idmap().layerPaths(sandbox.id(), id, "", podUserNamespace(sandbox), mapping));
    return rootfs;
  }

  /** Image volumes of a pod with its own user namespace: overlays over idmapped layers in its idmap tree. */
  private ImageVolumes.Placement imageVolumePlacement(String id, Sandbox sandbox) {
    if (!sandbox.spec().ownUserNamespace()) {
      return ImageVolumes.Placement.USUAL;
    }
    UserNamespaceMapping mapping = sandbox.spec().userNamespace();
    return (index, usual) -> new ImageVolumes.Place(
        parts.idmap().overlayMountpoint(sandbox.id(), id, "v" + index, mapping),
        parts.idmap().layerPaths(sandbox.id(), id, "v" + index, podUserNamespace(sandbox), mapping));
  }

  private BindSources bindSources(String id, Sandbox sandbox) {
    return sandbox.spec().ownUserNamespace()
        ? new BindSources.Idmapped(parts.idmap(), sandbox.id(), id, podUserNamespace(sandbox),
            sandbox.spec().userNamespace())
        : BindSources.AS_THEY_ARE;
  }

  /**
   * The request's mounts as the runtime binds them; an image volume as it is (in such a pod,
   * already an overlay over idmapped layers).
   */
  private static List<MountSpec> boundMounts(List<MountSpec> mounts, BindSources binds) throws IOException {
    List<MountSpec> bound = new ArrayList<>();
    for (MountSpec mount : mounts) {
      bound.add(mount.fromImage() ? mount
          : mount.withHostPath(binds.source(Path.of(mount.hostPath()), mount.idmap()).toString()));
    }
    return bound;
  }

  /** The pinned user namespace of a pod that has its own. */
  private Path podUserNamespace(Sandbox sandbox) {
    return Path.of(parts.sandboxes().namespacePath(sandbox, "user"));
  }

  /** What the release of a container of {@code sandbox} works on; its cgroup is under the pod's. */
  private ContainerRelease.Target releaseTarget(String id, Sandbox sandbox) {
    return new ContainerRelease.Target(id, parts.store().objectDir(id),
        Optional.of(sandbox.cgroupParent() + "/" + id), Optional.of(sandbox.id()));
  }

  /**
   * The first undo steps of a create, before its note: the directory (undone last) and the
   * cgroup runc makes with the container. Later steps are pushed as the create reaches them, so
   * the rollback runs the release's steps in the release's own order.
   */
  private void pushReleaseOfDirectory(Undo undo, ContainerRelease.Target target) {
    undo.push(parts.release().directory(target));
    parts.release().cgroup(target).ifPresent(undo::push);
  }

  /** The last step of a create or restore: the record saved, then the note dropped, then the container known. */
  private Container recordCreated(String id, Sandbox sandbox, ContainerSpec spec, CreatedProcess created,
      StepTimes times) throws IOException {
    Container container = new Container(id, sandbox.id(), spec, ContainerState.CREATED, Clock.nowNanos(),
        0, 0, 0, "", "", created.containerPid());
    exits.put(id, new CompletableFuture<>());
    // As a pod's first record: the durable note undoes the container when a node crash loses this name.
    parts.store().save(id, container, AtomicFiles.Durability.CONTENT);
    CreationIntent.remove(parts.store().objectDir(id));
    containers.put(id, container);
    publish(container, ContainerEvent.Type.CREATED, container.createdAtNanos());
    times.mark("record");
    times.log(log);
    return container;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** The log must stay inside the sandbox's log directory, whatever the relative path or links there say. */
  private static Path logPath(Sandbox sandbox, String relative) {
    if (relative.isEmpty() || sandbox.spec().logDirectory().isEmpty()) {
      return null;
    }
    return ContainerLogPath.prepare(sandbox.spec().logDirectory(), relative);
  }

  /** Host paths are used as the kernel will see them: symlinks resolved, missing dirs created. */
  private static List<MountSpec> resolveMounts(List<MountSpec> mounts) throws IOException {
    List<MountSpec> resolved = new ArrayList<>();
    for (MountSpec mount : mounts) {
      if (!mount.containerPath().startsWith("/")) {
        throw new CriException.InvalidArgument("mount container_path \"" + mount.containerPath() + "\" is not absolute");
      }
      Path host = Path.of(mount.hostPath());
      if (!host.isAbsolute()) {
        throw new CriException.InvalidArgument("mount host_path \"" + mount.hostPath() + "\" is not absolute");
      }
      if (!Files.exists(host)) {
        Files.createDirectories(host);
      }
      resolved.add(mount.withHostPath(host.toRealPath().toString()));
    }
    return resolved;
  }

  /**
   * The pod as the new container joins it: its namespaces (pid as the request asks), cgroup and
   * files (bound from where {@code binds} says, unless one of the request's mounts covers them).
   */
  private ContainerOciSpec.Pod pod(Sandbox sandbox, ContainerRequest request, String id, Path rootfs,
      BindSources binds) throws IOException {
    SandboxManager pod = parts.sandboxes();
    String pid = switch (request.pidMode()) {
      case "NODE" -> NamespacePlan.HOST;
      case "POD" -> sandbox.spec().hostPid() ? NamespacePlan.HOST : pod.namespacePath(sandbox, "pid");
      case "TARGET" -> "/proc/" + targetPid(sandbox, request.pidTargetId()) + "/ns/pid";
      default -> sandbox.spec().hostPid() ? NamespacePlan.HOST : NamespacePlan.NEW;
    };
    PodFiles files = new PodFiles(parts.podsDir(), sandbox.id());
    return new ContainerOciSpec.Pod(rootfs, sandbox.cgroupParent() + "/" + id,
        podNamespaces(sandbox, pid).withUser(pod.namespacePath(sandbox, "user")),
        new ContainerOciSpec.PodFiles(podFile(request, "/etc/hostname", files.hostname(), binds),
            podFile(request, "/etc/hosts", files.hosts(), binds),
            podFile(request, "/etc/resolv.conf", files.resolvConf(), binds),
            podFile(request, "/dev/shm", sandbox.spec().hostIpc() ? Path.of("/dev/shm") : files.shm(), binds)),
        Optional.ofNullable(sandbox.spec().userNamespace()));
  }

  /**
   * Where a pod file is bound from; none is staged for one a mount of the request covers (the
   * translation leaves it out).
   */
  private static String podFile(ContainerRequest request, String target, Path source, BindSources binds)
      throws IOException {
    return request.mounts().stream().anyMatch(m -> m.containerPath().equals(target)) ? source.toString()
        : binds.source(source, null).toString();
  }

  private ContainerOciSpec.Node node() {
    return new ContainerOciSpec.Node(parts.oomScoreAdjFloor(), parts.pidsLimit(), Capabilities.all(),
        parts.cgroups().hugetlbOutsideRuntime());
  }

  /**
   * What the translation needs from the disk: the image's user files, the host's device nodes (all
   * of them only for a privileged container) and the seccomp profile (none for a privileged one).
   */
  private static ContainerOciSpec.HostFacts hostFacts(ContainerRequest request, Path rootfs, List<MountSpec> mounts) {
    List<HostDevice> devices = new ArrayList<>();
    for (DeviceSpec device : request.devices()) {
      devices.add(HostDevices.of(Path.of(device.hostPath()), device.containerPath(), device.permissions())
          .orElseThrow(() -> new CriException.InvalidArgument(
              "device host_path \"" + device.hostPath() + "\" is not a device node")));
    }
    boolean privileged = request.security().privileged();
    return new ContainerOciSpec.HostFacts(ImageUsers.read(rootfs), mounts, devices,
        privileged ? HostDevices.all() : List.of(),
        privileged ? Optional.empty() : SeccompProfiles.resolve(request.security().seccomp()));
  }

  /** The pod's network, IPC and UTS namespaces as its containers join them, with {@code pid} as given. */
  private NamespacePlan podNamespaces(Sandbox sandbox, String pid) {
    SandboxManager pod = parts.sandboxes();
    return new NamespacePlan(
        sandbox.spec().hostNetwork() ? NamespacePlan.HOST : sandbox.netnsPath(),
        pid,
        sandbox.spec().hostIpc() ? NamespacePlan.HOST : pod.namespacePath(sandbox, "ipc"),
        sandbox.spec().hostNetwork() ? NamespacePlan.HOST : pod.namespacePath(sandbox, "uts"));
  }

  /** pid TARGET joins another running container of the same pod, as ephemeral debug containers do. */
  private long targetPid(Sandbox sandbox, String targetId) {
    Container target = find(targetId).orElseThrow(() -> new CriException.NotFound(
        "pid namespace target container " + targetId + " not found"));
    if (!target.sandboxId().equals(sandbox.id()) || target.state() != ContainerState.RUNNING) {
      throw new CriException.FailedPrecondition("pid namespace target container " + targetId
          + " is not running in pod sandbox " + sandbox.id());
    }
    return target.pid();
  }

  public void start(String idOrPrefix) {
    String id = require(idOrPrefix).id();
    locks.run(id, () -> {
      Container container = require(id);
      if (container.state() != ContainerState.CREATED) {
        throw new CriException.FailedPrecondition("container " + id + " is " + container.state().name().toLowerCase()
            + ", not created");
      }
      // Taken before the start: a process that exits at once must not finish before it started.
      long startedAt = Clock.nowNanos();
      StepTimes times = new StepTimes("start container " + id);
      try {
        Path frozen = parts.store().objectDir(id).resolve(RESTORED_FROZEN);
        if (Files.exists(frozen)) {
          parts.shim().resume(id);
          Files.delete(frozen);
          times.mark("thaw restored");
        } else {
          parts.shim().start(id);
          times.mark("start");
        }
      } catch (IOException e) {
        throw new CriException.Internal("start container " + id + ": " + e.getMessage(), e);
      } catch (ShimException e) {
        throw new CriException.Internal("start container " + id + ": " + e.getMessage(), e);
      }
      Container started = container.started(startedAt, container.pid());
      // Not fsynced: a daemon kill loses nothing written, and a node crash ends the container
      // whatever its record says; start-up settles a created record whose shim is gone as it
      // settles a running one (Recovery), and a started one whose shim lives (StartedWhileDown).
      save(started, AtomicFiles.Durability.NONE);
      publish(started, ContainerEvent.Type.STARTED, startedAt);
      times.mark("record");
      // A process that exits at once may have been reported before it was marked running.
      parts.shim().exit(id).ifPresent(exit -> recordExit(id, exit));
      times.log(log);
    });
  }

  /**
   * Checkpoints a running container into a tar at {@code location} (see {@link CheckpointArchive});
   * the container is frozen while CRIU dumps it and keeps running afterwards.
   */
  public void checkpoint(String idOrPrefix, Path location) {
    String id = require(idOrPrefix).id();
    locks.run(id, () -> {
      Container container = require(id);
      if (container.state() != ContainerState.RUNNING) {
        throw new CriException.FailedPrecondition("checkpoint container " + id + ": it is "
            + container.state().name().toLowerCase() + ", not running");
      }
      requireCriu("checkpoint container " + id);
      Path bundle = parts.store().objectDir(id).resolve("bundle");
      try {
        CheckpointArchive.write(parts.shim(), bundle, parts.images().upperDir(id),
            new CheckpointArchive.Metadata(id, container.spec().name(), container.spec().image(),
                container.spec().imageId()), RECORD_JSON.writeValueAsBytes(container.spec()),
            container.spec().logPath().isEmpty() ? Optional.empty() : Optional.of(Path.of(container.spec().logPath())),
            location);
      } catch (IOException | ShimException e) {
        throw new CriException.Internal("checkpoint container " + id + " to " + location + ": " + e.getMessage(), e);
      }
    });
  }

  private void requireCriu(String what) {
    parts.criu().unavailableReason().ifPresent(reason -> {
      throw new CriException.FailedPrecondition(what + ": CRIU cannot work on this node: " + reason);
    });
  }

  /** Called by the shim's exit watcher (and at recovery) when a container's exit file appears. */
  public void onExit(String id, ExitRecord exit) {
    if (containers.get(id).isEmpty()) {
      return;
    }
    locks.run(id, () -> recordExit(id, exit));
  }

  private void recordExit(String id, ExitRecord exit) {
    Container container = containers.get(id).orElse(null);
    if (container == null || !container.isLive()) {
      return;
    }
    boolean oom = parts.shim().oomKilled(id);
    String reason = oom ? "OOMKilled" : exit.exitCode() == 0 ? "Completed" : "Error";
    // The exit file's mtime comes from the kernel's coarse clock and can trail our start stamp.
    long finishedAt = Math.max(Clock.toNanos(exit.finishedAt()), container.startedAtNanos());
    Container exited = container.exited(finishedAt, exit.exitCode(), reason, "");
    saveExit(exited);
    publish(exited, ContainerEvent.Type.STOPPED, finishedAt);
    CompletableFuture<Void> done = exits.remove(id);
    if (done != null) {
      done.complete(null);
    }
  }

  @Override
  public String kind() {
    return "container";
  }

  /** Every created or running container: conmon outlives neither. */
  @Override
  public List<String> idsWithShims() {
    return containers.values().stream().filter(Container::isLive).map(Container::id).toList();
  }

  /**
   * Called when a live container's conmon is found dead (by the ShimMonitor, or by a stop). With
   * an exit file the container simply exited and the watcher is late. Without one the shim died:
   * nobody would ever record the exit, so the orphaned processes are killed through the runtime
   * and the exit is recorded here, with the init's real status if it can still be read.
   */
  @Override
  public void onShimDeath(String id) {
    if (containers.get(id).isEmpty()) {
      return;
    }
    locks.run(id, () -> {
      Container container = containers.get(id).orElse(null);
      if (container == null || !container.isLive() || parts.shim().isShimAlive(id)) {
        return;
      }
      Optional<ExitRecord> exit = parts.shim().exit(id);
      if (exit.isPresent()) {
        recordExit(id, exit.get());
        return;
      }
      String shim = "conmon" + parts.shim().shimPid(id).map(pid -> " (pid " + pid + ")").orElse("");
      try {
        OrphanedProcesses.kill(parts.shim(), id);
      } catch (ShimException e) {
        throw new CriException.Internal("container " + id + ": its shim " + shim + " died and its processes could "
            + "not be killed: " + e.getMessage(), e);
      }
      var code = OrphanedProcesses.zombieExitCode(container.pid());
      String message = "the container's shim " + shim + " died without recording an exit; "
          + (container.state() == ContainerState.RUNNING ? "its processes were killed" : "it never started");
      Container exited = container.exited(Math.max(Clock.nowNanos(), container.startedAtNanos()), code.orElse(255),
          "Error", message);
      saveExit(exited);
      log.warn("container {}: {} (exit code {})", id, message, exited.exitCode());
      publish(exited, ContainerEvent.Type.STOPPED, exited.finishedAtNanos());
      CompletableFuture<Void> done = exits.remove(id);
      if (done != null) {
        done.complete(null);
      }
    });
  }

  /** Sends the stop signal, then SIGKILL after {@code timeout}; returns once every process is gone. */
  public void stop(String idOrPrefix, Duration timeout) {
    Optional<Container> found = find(idOrPrefix);
    if (found.isEmpty()) {
      return;
    }
    String id = found.get().id();
    Container container = found.get();
    if (!container.isLive()) {
      return;
    }
    if (!parts.shim().isShimAlive(id)) {
      // No conmon will report this exit: settle it now rather than wait for the monitor.
      onShimDeath(id);
      if (!find(id).map(Container::isLive).orElse(false)) {
        return;
      }
    }
    CompletableFuture<Void> exited = exits.computeIfAbsent(id, k -> new CompletableFuture<>());
    try {
      if (container.state() == ContainerState.RUNNING && !timeout.isZero()) {
        parts.shim().kill(id, Signals.number(container.spec().stopSignal()), false);
        if (await(exited, timeout)) {
          return;
        }
      }
      // runc kills a frozen container's processes and thaws it itself; the note must go with it.
      parts.shim().kill(id, Signals.SIGKILL, true);
      forgetRestoredFrozen(id);
      if (container.state() == ContainerState.CREATED) {
        // A created container has no exit to wait for until runc's init is killed; its exit file follows.
        await(exited, KILL_WAIT);
        parts.shim().exit(id).ifPresent(exit -> onExit(id, exit));
        return;
      }
      if (!await(exited, KILL_WAIT)) {
        throw new CriException.Internal("container " + id + " did not exit " + KILL_WAIT.toSeconds()
            + " s after SIGKILL", null);
      }
    } catch (ShimException e) {
      throw new CriException.Internal("stop container " + id + ": " + e.getMessage(), e);
    }
  }

  private void forgetRestoredFrozen(String id) {
    try {
      Files.deleteIfExists(parts.store().objectDir(id).resolve(RESTORED_FROZEN));
    } catch (IOException e) {
      log.warn("container {}: {}", id, e.toString());
    }
  }

  private boolean await(CompletableFuture<Void> exited, Duration timeout) {
    try {
      exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return true;
    }
  }

  /** Kills a running container first; idempotent. */
  public void remove(String idOrPrefix) {
    Optional<Container> found = find(idOrPrefix);
    if (found.isEmpty()) {
      return;
    }
    String id = found.get().id();
    stop(id, Duration.ZERO);
    locks.run(id, () -> {
      Container container = containers.get(id).orElse(null);
      if (container == null) {
        return;
      }
      List<String> failures = parts.release().onRemove(new ContainerRelease.Target(id, parts.store().objectDir(id),
          parts.sandboxes().find(container.sandboxId()).map(pod -> pod.cgroupParent() + "/" + id),
          Optional.of(container.sandboxId()))).run();
      if (!failures.isEmpty()) {
        // The record stays: the kubelet's retry runs the release again and finishes it.
        throw new CriException.Internal("remove container " + id + ": " + String.join("; ", failures), null);
      }
      containers.remove(id);
      exits.remove(id);
      processes.remove(id);
      publish(container, ContainerEvent.Type.DELETED, Clock.nowNanos());
      names.release(nameKey(container.spec().name(), container.spec().attempt(), container.sandboxId()), id);
    });
    locks.forget(id);
  }

  public ExecResult execSync(String idOrPrefix, List<String> cmd, Duration timeout) {
    Container container = runningContainer(idOrPrefix, cmd);
    try {
      return parts.shim().execSync(container.id(), execProcess(container, cmd, false), timeout);
    } catch (IOException | ShimException e) {
      throw new CriException.Internal("exec in container " + container.id() + ": " + e.getMessage(), e);
    }
  }

  private Container runningContainer(String idOrPrefix, List<String> cmd) {
    Container container = require(idOrPrefix);
    if (container.state() != ContainerState.RUNNING) {
      throw new CriException.FailedPrecondition("container " + container.id() + " is not running");
    }
    if (cmd.isEmpty()) {
      throw new CriException.InvalidArgument("exec cmd is empty");
    }
    return container;
  }

  /**
   * An exec runs as the container's own process does (user, env, capabilities, cwd), with the
   * exec's command: derived from the container's spec, kept since create (or, after a restart,
   * read once from the bundle it was written to).
   */
  private String execProcess(Container container, List<String> cmd, boolean tty) throws IOException {
    OciSpec.Process process = processes.get(container.id());
    if (process == null) {
      process = OciSpecJson.read(parts.store().objectDir(container.id()).resolve("bundle")).process();
      processes.put(container.id(), process);
    }
    return OciSpecJson.text(process.forExec(cmd, tty));
  }

  /** The limits runc cannot set on this node, written by the cgroup model; a page size the node lacks is the caller's. */
  private void applyHeldBackLimits(String cgroupPath, LinuxResources resources) throws IOException {
    try {
      runtimeLimits.applyHeldBack(cgroupPath, resources);
    } catch (IllegalArgumentException e) {
      throw new CriException.InvalidArgument("linux resources: " + e.getMessage());
    }
  }

  /** Applies new limits to a live container and records them for ContainerStatus. */
  public void updateResources(String idOrPrefix, LinuxResources resources) {
    String id = require(idOrPrefix).id();
    locks.run(id, () -> {
      Container container = require(id);
      if (!container.isLive()) {
        throw new CriException.FailedPrecondition("container " + id + " is not running");
      }
      try {
        parts.shim().updateResources(id, OciSpecJson.text(ContainerOciSpec.limits(runtimeLimits.forRuntime(resources))));
        if (runtimeLimits.holdsBack(resources)) {
          applyHeldBackLimits(parts.sandboxes().require(container.sandboxId()).cgroupParent() + "/" + id, resources);
        }
      } catch (IOException | ShimException e) {
        throw new CriException.Internal("update resources of container " + id + ": " + e.getMessage(), e);
      }
      save(container.withResources(resources));
    });
  }

  /** Starts a process in the running container with the caller attached to its stdio (streaming exec). */
  public ExecSession execAttached(String idOrPrefix, List<String> cmd, boolean tty, boolean stdin) {
    Container container = runningContainer(idOrPrefix, cmd);
    try {
      return parts.shim().execAttached(container.id(), execProcess(container, cmd, tty), tty, stdin);
    } catch (IOException | ShimException e) {
      throw new CriException.Internal("exec in container " + container.id() + ": " + e.getMessage(), e);
    }
  }

  /** Connects to the running container's own stdio (it was created with stdin or tty to attach to). */
  public AttachConnection attach(String idOrPrefix) {
    Container container = require(idOrPrefix);
    if (container.state() != ContainerState.RUNNING) {
      throw new CriException.FailedPrecondition("container " + container.id() + " is not running");
    }
    try {
      return parts.shim().attach(container.id());
    } catch (ShimException e) {
      throw new CriException.Internal(e.getMessage(), e);
    }
  }

  /** Resizes the running container's terminal. */
  public void resizeTerminal(String idOrPrefix, int height, int width) {
    Container container = require(idOrPrefix);
    if (!container.spec().tty()) {
      return;
    }
    try {
      parts.shim().resize(container.id(), height, width);
    } catch (ShimException e) {
      throw new CriException.Internal(e.getMessage(), e);
    }
  }

  public void reopenLog(String idOrPrefix) {
    Container container = require(idOrPrefix);
    if (container.state() != ContainerState.RUNNING) {
      throw new CriException.FailedPrecondition("container " + container.id() + " is not running");
    }
    if (!container.spec().logPath().isEmpty()) {
      // conmon reopens the path by name: check again that no link has appeared on the way since create.
      Path dir = Path.of(parts.sandboxes().require(container.sandboxId()).spec().logDirectory()).normalize();
      try {
        ContainerLogPath.prepare(dir.toString(), dir.relativize(Path.of(container.spec().logPath())).toString());
      } catch (CriException.InvalidArgument e) {
        throw new CriException.FailedPrecondition("reopen log of container " + container.id() + ": " + e.getMessage());
      }
    }
    try {
      parts.shim().reopenLog(container.id());
      awaitLogFile(Path.of(container.spec().logPath()));
    } catch (ShimException e) {
      throw new CriException.Internal("reopen log of container " + container.id() + ": " + e.getMessage(), e);
    }
  }

  /**
   * conmon reopens the log asynchronously after the ctl message; the kubelet's log rotation
   * expects the new file to exist when the call returns.
   */
  private static void awaitLogFile(Path log) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!Files.exists(log) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Kills every live container of the pod and waits until they are gone. */
  public void stopAll(String sandboxId) {
    for (Container container : ofSandbox(sandboxId)) {
      stop(container.id(), Duration.ZERO);
    }
  }

  /** Removes every container of the pod. */
  public void removeAll(String sandboxId) {
    for (Container container : ofSandbox(sandboxId)) {
      remove(container.id());
    }
  }

  private List<Container> ofSandbox(String sandboxId) {
    return containers.values().stream().filter(c -> c.sandboxId().equals(sandboxId)).toList();
  }

  public Optional<Container> find(String idOrPrefix) {
    return containers.findByPrefix(idOrPrefix, "container");
  }

  public Container require(String idOrPrefix) {
    return find(idOrPrefix).orElseThrow(() -> new CriException.NotFound("container " + idOrPrefix + " not found"));
  }

  public List<Container> list() {
    return containers.values();
  }

  private void publish(Container container, ContainerEvent.Type type, long atNanos) {
    parts.events().publish(new ContainerEvent(container.id(), container.sandboxId(), type, atNanos));
  }

  private void save(Container container) {
    save(container, AtomicFiles.Durability.FULL);
  }

  private void save(Container container, AtomicFiles.Durability durability) {
    try {
      parts.store().save(container.id(), container, durability);
    } catch (IOException e) {
      throw new CriException.Internal("persist container " + container.id() + ": " + e.getMessage(), e);
    }
    containers.put(container.id(), container);
  }

  /**
   * An exit is a fact whatever the disk says: it is kept in memory even when the record cannot be
   * written (a full disk), or the container would be reported running forever. The old record on
   * disk still says live, and a restart settles it again from conmon's exit file or a dead shim.
   */
  private void saveExit(Container exited) {
    try {
      parts.store().save(exited.id(), exited);
    } catch (IOException e) {
      log.error("container {} exited (code {}) but its record could not be saved: {}", exited.id(),
          exited.exitCode(), e.getMessage());
    }
    containers.put(exited.id(), exited);
  }

  private static String nameKey(String name, int attempt, String sandboxId) {
    return name + "_" + sandboxId + "_" + attempt;
  }
}
