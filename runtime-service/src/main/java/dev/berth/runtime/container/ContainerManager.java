package dev.berth.runtime.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.ImageNotFoundException;
import dev.berth.image.ImageStore;
import dev.berth.image.ResolvedImage;
import dev.berth.image.reference.InvalidReferenceException;
import dev.berth.image.store.PrivateDirectory;
import dev.berth.runtime.checkpoint.CheckpointArchive;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.events.ContainerEvent;
import dev.berth.runtime.events.ContainerEvents;
import dev.berth.runtime.metrics.StepTimes;
import dev.berth.runtime.model.Clock;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.IdIndex;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.KeyedLocks;
import dev.berth.runtime.model.NameRegistry;
import dev.berth.runtime.model.Undo;
import dev.berth.runtime.oci.Capabilities;
import dev.berth.runtime.oci.HostDevices;
import dev.berth.runtime.oci.LinuxResourcesJson;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.SeccompProfiles;
import dev.berth.runtime.oci.OciSpecBuilder;
import dev.berth.runtime.pod.PodFiles;
import dev.berth.runtime.sandbox.PodContainers;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.sandbox.SandboxState;
import dev.berth.runtime.store.CreationIntent;
import dev.berth.runtime.shims.OrphanedProcesses;
import dev.berth.runtime.store.PlainFiles;
import dev.berth.runtime.store.RecordStore;
import dev.berth.runtime.userns.IdmapStaging;
import dev.berth.runtime.userns.UserNamespaceMapping;
import dev.berth.shim.ConmonShim;
import dev.berth.shim.CreateRequest;
import dev.berth.shim.CreatedProcess;
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
public final class ContainerManager implements PodContainers {

  private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** As the record store reads records: fields an older or newer Berth wrote are ignored or defaulted. */
  private static final ObjectMapper RECORD_JSON = new ObjectMapper()
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  /** A restored container's note that it waits, frozen, for StartContainer. */
  private static final String RESTORED_FROZEN = "restored-frozen";
  private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  /** Paths and parts a container manager works with. */
  public record Parts(RecordStore<Container> store, Path podsDir, ImageStore images, ConmonShim shim,
      SandboxManager sandboxes, int oomScoreAdjFloor, long pidsLimit, ContainerEvents events, CriuSupport criu,
      IdmapStaging idmap) {}

  private final Parts parts;
  private final ImageVolumes imageVolumes;
  private final IdIndex<Container> containers = new IdIndex<>();
  private final NameRegistry names = new NameRegistry("container");
  private final KeyedLocks locks = new KeyedLocks();
  private final ConcurrentHashMap<String, CompletableFuture<Void>> exits = new ConcurrentHashMap<>();

  public ContainerManager(Parts parts) {
    this.parts = parts;
    this.imageVolumes = new ImageVolumes(parts.images());
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
      // Before the first side effect: a daemon killed from here on leaves a note of what to undo.
      // Pushed first: a note that fails half-written (a full disk) must not leave its directory.
      undo.push("remove container dir", () -> parts.store().delete(id));
      CreationIntent.write(parts.store().objectDir(id),
          new ContainerIntent(sandbox.id(), sandbox.cgroupParent() + "/" + id));
      PrivateDirectory.create(bundle);
      times.mark("image and dirs");
      Path rootfs = mountRootfs(id, sandbox, image, bundle, undo);
      times.mark("rootfs mount");

      ProcessPlan process = ProcessPlan.merge(
          new ProcessPlan.ImageDefaults(image.config().entrypoint(), image.config().cmd(), image.config().env(),
              image.config().workingDir(), image.config().user()),
          new ProcessPlan.Requested(request.command(), request.args(), request.env(), request.workingDir(),
              request.runAsUser(), request.runAsGroup(), request.runAsUsername()),
          rootfs);
      String stopSignal = !request.stopSignal().isEmpty() ? request.stopSignal()
          : !image.config().stopSignal().isEmpty() ? image.config().stopSignal() : "SIGTERM";
      Signals.number(stopSignal);
      List<MountSpec> mounts = resolveMounts(imageVolumes.prepare(id, parts.store().objectDir(id), request.mounts(),
          undo, imageVolumePlacement(id, sandbox)));
      if (!sandbox.spec().ownUserNamespace() && mounts.stream().anyMatch(m -> m.idmap() != null)) {
        throw new CriException.FailedPrecondition("create container " + request.name()
            + ": mounts with uidMappings/gidMappings need a pod with its own user namespace (userns_options mode POD)");
      }
      times.mark("mounts");
      ContainerSpec spec = new ContainerSpec(request.name(), request.attempt(), request.image(), image.id(),
          image.repoDigests().isEmpty() ? image.id() : image.repoDigests().getFirst(), process.args(), process.env(),
          process.workingDir(), process.uid(), process.gid(), supplementalGroups(process, request, rootfs), mounts,
          request.devices(), request.labels(),
          request.annotations(), logPath == null ? "" : logPath.toString(), request.stdin(), request.stdinOnce(),
          request.tty(), stopSignal, request.resources(), request.userSpecifiedImage());

      writeSpec(bundle, rootfs, sandbox, spec, request);
      times.mark("bundle");
      undo.push("delete runtime container", () -> parts.shim().delete(id));
      CreatedProcess created = parts.shim().create(new CreateRequest(id, bundle, logPath, request.stdin(),
          request.stdinOnce(), request.tty(), CREATE_TIMEOUT, sandbox.spec().runtimeHandler(), null));
      times.mark("conmon + runc create");
      return recordCreated(id, sandbox, spec, created, times);
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
    try {
      undo.push("remove container dir", () -> parts.store().delete(id));
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
      undo.push("release rootfs", () -> parts.images().releaseRootfs(id, rootfs));
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
      ObjectNode config = RestoredContainer.retarget(JSON.readTree(checkpoint.ociConfig().toFile()),
          new RestoredContainer.PodPlace(rootfs, sandbox.cgroupParent() + "/" + id, namespaces,
              java.util.Map.of("/etc/hostname", files.hostname(), "/etc/hosts", files.hosts(),
                  "/etc/resolv.conf", files.resolvConf(), "/dev/shm", files.shm()),
              parts.podsDir()));
      PlainFiles.write(bundle.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
      PlainFiles.write(dir.resolve(RESTORED_FROZEN), new byte[0]);
      times.mark("bundle");
      undo.push("delete runtime container", () -> parts.shim().delete(id));
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
   */
  private Path mountRootfs(String id, Sandbox sandbox, ResolvedImage image, Path bundle, Undo undo)
      throws IOException {
    if (!sandbox.spec().ownUserNamespace()) {
      Path rootfs = PrivateDirectory.create(bundle.resolve("rootfs"));
      parts.images().mountRootfs(id, image.id(), rootfs);
      undo.push("release rootfs", () -> parts.images().releaseRootfs(id, rootfs));
      return rootfs;
    }
    undo.push("release idmapped mounts", () -> parts.idmap().release(sandbox.id(), id));
    Path rootfs = parts.idmap().rootfsMountpoint(sandbox.id(), id, sandbox.spec().userNamespace());
    parts.images().mountRootfs(id, image.id(), rootfs, parts.idmap().layerPaths(sandbox.id(), id, "",
        Path.of(podUserNamespace(sandbox)), sandbox.spec().userNamespace()));
    undo.push("release rootfs", () -> parts.images().releaseRootfs(id, rootfs));
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
        parts.idmap().layerPaths(sandbox.id(), id, "v" + index, Path.of(podUserNamespace(sandbox)), mapping));
  }

  /** The last step of a create or restore: the record saved, then the note dropped, then the container known. */
  private Container recordCreated(String id, Sandbox sandbox, ContainerSpec spec, CreatedProcess created,
      StepTimes times) throws IOException {
    Container container = new Container(id, sandbox.id(), spec, ContainerState.CREATED, Clock.nowNanos(),
        0, 0, 0, "", "", created.containerPid());
    exits.put(id, new CompletableFuture<>());
    parts.store().save(id, container);
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

  /**
   * The groups runc hands to setgroups: the primary group first (as containerd and CRI-O do, so
   * that ContainerStatus.user lists it as kubelet and critest expect), then, under the Merge
   * policy, the image's /etc/group entries for the user, then the pod's own.
   */
  private static List<Long> supplementalGroups(ProcessPlan process, ContainerRequest request, Path rootfs) {
    java.util.LinkedHashSet<Long> groups = new java.util.LinkedHashSet<>();
    groups.add(process.gid());
    if (!request.security().strictSupplementalGroups()) {
      groups.addAll(ProcessPlan.imageGroupsOf(process.uid(), rootfs));
    }
    groups.addAll(request.security().supplementalGroups());
    return List.copyOf(groups);
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

  private void writeSpec(Path bundle, Path rootfs, Sandbox sandbox, ContainerSpec spec, ContainerRequest request)
      throws IOException {
    SandboxManager pod = parts.sandboxes();
    String pid = switch (request.pidMode()) {
      case "NODE" -> NamespacePlan.HOST;
      case "POD" -> sandbox.spec().hostPid() ? NamespacePlan.HOST : pod.namespacePath(sandbox, "pid");
      case "TARGET" -> "/proc/" + targetPid(sandbox, request.pidTargetId()) + "/ns/pid";
      default -> sandbox.spec().hostPid() ? NamespacePlan.HOST : NamespacePlan.NEW;
    };
    NamespacePlan plan = podNamespaces(sandbox, pid);
    SecurityRequest security = request.security();
    BindSources binds = sandbox.spec().ownUserNamespace()
        ? new BindSources.Idmapped(parts.idmap(), sandbox.id(), bundle.getParent().getFileName().toString(),
            Path.of(podUserNamespace(sandbox)), sandbox.spec().userNamespace())
        : BindSources.AS_THEY_ARE;
    OciSpecBuilder builder = new OciSpecBuilder(rootfs, request.readonlyRootfs())
        .process(spec.args(), spec.env(), spec.workingDir(), spec.uid(), spec.gid(), spec.tty())
        .additionalGids(spec.supplementalGroups())
        .noNewPrivileges(security.noNewPrivileges())
        .oomScoreAdj((int) Math.max(spec.resources().oomScoreAdj(), parts.oomScoreAdjFloor()))
        .namespaces(plan)
        .cgroupsPath(sandbox.cgroupParent() + "/" + bundle.getParent().getFileName())
        .resources(spec.resources())
        .pidsLimit(parts.pidsLimit())
        .devices(HostDevices.resolve(request.devices()));
    if (sandbox.spec().ownUserNamespace()) {
      builder.userNamespace(podUserNamespace(sandbox), sandbox.spec().userNamespace());
    }
    if (security.privileged()) {
      builder.privileged(HostDevices.all());
    } else {
      builder.capabilities(Capabilities.resolve(security.capabilitiesAdd(), security.capabilitiesDrop()));
      if (security.maskedPaths() != null) {
        builder.maskedPaths(security.maskedPaths());
      }
      if (security.readonlyPaths() != null) {
        builder.readonlyPaths(security.readonlyPaths());
      }
      SeccompProfiles.resolve(security.seccomp()).ifPresent(builder::seccomp);
    }
    PodFiles files = new PodFiles(parts.podsDir(), sandbox.id());
    bindUnlessMounted(builder, spec, "/etc/hostname", files.hostname(), binds);
    bindUnlessMounted(builder, spec, "/etc/hosts", files.hosts(), binds);
    bindUnlessMounted(builder, spec, "/etc/resolv.conf", files.resolvConf(), binds);
    bindUnlessMounted(builder, spec, "/dev/shm", sandbox.spec().hostIpc() ? Path.of("/dev/shm") : files.shm(), binds);
    List<MountSpec> mounts = new ArrayList<>();
    for (MountSpec mount : spec.mounts()) {
      // An image volume is bound as it is: in such a pod it is already an overlay over idmapped layers.
      mounts.add(mount.fromImage() ? mount
          : mount.withHostPath(binds.source(Path.of(mount.hostPath()), mount.idmap()).toString()));
    }
    builder.mounts(mounts);
    PlainFiles.write(bundle.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(builder.build()));
  }

  /** The pinned user namespace of a pod that has its own. */
  private String podUserNamespace(Sandbox sandbox) {
    return parts.sandboxes().namespacePath(sandbox, "user");
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

  private static void bindUnlessMounted(OciSpecBuilder builder, ContainerSpec spec, String target, Path source,
      BindSources binds) throws IOException {
    if (spec.mounts().stream().noneMatch(m -> m.containerPath().equals(target))) {
      builder.bind(target, binds.source(source, null).toString(), false, "rprivate");
    }
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
          times.mark("runc start");
        }
      } catch (IOException e) {
        throw new CriException.Internal("start container " + id + ": " + e.getMessage(), e);
      } catch (ShimException e) {
        throw new CriException.Internal("start container " + id + ": " + e.getMessage(), e);
      }
      Container started = container.started(startedAt, container.pid());
      save(started);
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

  /**
   * Called when a live container's conmon is found dead (by the ShimMonitor, or by a stop). With
   * an exit file the container simply exited and the watcher is late. Without one the shim died:
   * nobody would ever record the exit, so the orphaned processes are killed through the runtime
   * and the exit is recorded here, with the init's real status if it can still be read.
   */
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
      try {
        parts.shim().delete(id);
        parts.idmap().release(container.sandboxId(), id);
        parts.images().releaseRootfs(id, parts.store().objectDir(id).resolve("bundle").resolve("rootfs"));
        imageVolumes.release(id, parts.store().objectDir(id));
        parts.store().delete(id);
      } catch (IOException | ShimException e) {
        throw new CriException.Internal("remove container " + id + ": " + e.getMessage(), e);
      }
      containers.remove(id);
      exits.remove(id);
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
   * An exec runs as the container's own process does (user, env, capabilities, cwd), read back
   * from its bundle, with the exec's command; a terminal also needs a TERM.
   */
  private String execProcess(Container container, List<String> cmd, boolean tty) throws IOException {
    Path config = parts.store().objectDir(container.id()).resolve("bundle").resolve("config.json");
    ObjectNode process = (ObjectNode) JSON.readTree(config.toFile()).get("process");
    process.putArray("args").addAll(cmd.stream().map(JSON.getNodeFactory()::textNode).toList());
    process.put("terminal", tty);
    process.remove("consoleSize");
    if (tty) {
      if (!process.has("env")) {
        process.putArray("env");
      }
      boolean hasTerm = false;
      for (var entry : process.get("env")) {
        hasTerm |= entry.asText().startsWith("TERM=");
      }
      if (!hasTerm) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) process.get("env")).add("TERM=xterm");
      }
    }
    return JSON.writeValueAsString(process);
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
        parts.shim().updateResources(id, JSON.writeValueAsString(LinuxResourcesJson.of(resources)));
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

  @Override
  public void stopAll(String sandboxId) {
    for (Container container : ofSandbox(sandboxId)) {
      stop(container.id(), Duration.ZERO);
    }
  }

  @Override
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
    try {
      parts.store().save(container.id(), container);
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
