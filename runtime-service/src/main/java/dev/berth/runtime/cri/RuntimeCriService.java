package dev.berth.runtime.cri;

import com.google.protobuf.ByteString;
import dev.berth.cri.v1.*;
import dev.berth.cri.paging.Pages;
import dev.berth.runtime.container.Container;
import dev.berth.runtime.events.ContainerEvent;
import dev.berth.runtime.events.ContainerEvents;
import dev.berth.runtime.handler.RuntimeHandler;
import dev.berth.runtime.handler.RuntimeHandlers;
import io.grpc.stub.ServerCallStreamObserver;
import dev.berth.runtime.container.ContainerManager;
import dev.berth.runtime.container.ContainerRequest;
import dev.berth.runtime.container.MountSpec;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.LabelSelector;
import dev.berth.runtime.model.Printable;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.lifecycle.PodTeardown;
import dev.berth.runtime.sandbox.SandboxManager;
import dev.berth.runtime.stream.StreamRequest;
import dev.berth.runtime.metrics.CriMetrics;
import dev.berth.runtime.stats.ContainerSample;
import dev.berth.runtime.stats.CriStats;
import dev.berth.runtime.stats.PodSample;
import dev.berth.runtime.stats.StatsCollector;
import dev.berth.shim.ExecResult;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * runtime.v1.RuntimeService over gRPC: validates, translates, delegates to the managers and maps
 * errors. RPCs whose issue has not landed keep the generated UNIMPLEMENTED answer naming the RPC.
 */
public final class RuntimeCriService extends RuntimeServiceGrpc.RuntimeServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(RuntimeCriService.class);
  /** 0 means "no timeout" to the kubelet; conmon needs a number, so a year stands for none. */
  private static final Duration NO_EXEC_TIMEOUT = Duration.ofDays(365);

  private final RuntimeInfo info;
  private final SandboxManager sandboxes;
  private final ContainerManager containers;
  /** StopPodSandbox and RemovePodSandbox: the pod's containers, then the pod. */
  private final PodTeardown pods;
  private final RuntimeHandlers runtimeHandlers;
  private final ContainerEvents events;
  private final Function<StreamRequest, String> streamUrls;
  private final StatsCollector stats;
  private final CriStats criStats = new CriStats();
  private final CriMetrics criMetrics;

  /** @param streamUrls issues the streaming server's URL for an Exec, Attach or PortForward */
  public RuntimeCriService(RuntimeInfo info, SandboxManager sandboxes, ContainerManager containers,
      RuntimeHandlers runtimeHandlers, Function<StreamRequest, String> streamUrls, StatsCollector stats,
      CriMetrics criMetrics, ContainerEvents events) {
    this.events = events;
    this.criMetrics = criMetrics;
    this.info = info;
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.pods = new PodTeardown(sandboxes, containers);
    this.runtimeHandlers = runtimeHandlers;
    this.streamUrls = streamUrls;
    this.stats = stats;
  }

  /** A pod sandbox id or unique prefix from a request; NOT_FOUND for any text that cannot be one of ours. */
  private static String sandboxKey(String text) {
    return existingKey(text, "pod_sandbox_id", "pod sandbox");
  }

  /** A container id or unique prefix from a request; NOT_FOUND for any text that cannot be one of ours. */
  private static String containerKey(String text) {
    return existingKey(text, "container_id", "container");
  }

  private static String existingKey(String text, String field, String kind) {
    return Ids.lookupKey(text, field)
        .orElseThrow(() -> new CriException.NotFound(kind + " " + Printable.quote(text) + " not found"));
  }

  private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
    T reply;
    try {
      reply = call.get();
    } catch (RuntimeException e) {
      response.onError(CriErrors.toStatus(e));
      return;
    }
    response.onNext(reply);
    response.onCompleted();
  }

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
    answer(response, () -> info.version(request));
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
    answer(response, () -> info.status(request));
  }

  @Override
  public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> response) {
    answer(response, () -> info.runtimeConfig(request));
  }

  @Override
  public void updateRuntimeConfig(UpdateRuntimeConfigRequest request,
      StreamObserver<UpdateRuntimeConfigResponse> response) {
    answer(response, () -> info.updateRuntimeConfig(request));
  }

  @Override
  public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> response) {
    answer(response, () -> {
      Validate.present(request.hasConfig(), "run pod sandbox config");
      String name = request.getRuntimeHandler();
      RuntimeHandler handler = runtimeHandlers.find(name).orElseThrow(() -> new CriException.InvalidArgument(
          "runtime_handler \"" + name + "\" is not configured (known: " + runtimeHandlers.names() + ")"));
      var namespaces = request.getConfig().getLinux().getSecurityContext().getNamespaceOptions();
      if (namespaces.hasUsernsOptions()) {
        UserNamespaceOptions.check(namespaces.getUsernsOptions(), handler);
      }
      var spec = SandboxTranslator.spec(request.getConfig(), name);
      info.requireRuntimeReady();
      handler.problem().ifPresent(problem -> {
        throw new CriException.FailedPrecondition(problem);
      });
      Sandbox sandbox = sandboxes.run(spec);
      return RunPodSandboxResponse.newBuilder().setPodSandboxId(sandbox.id()).build();
    });
  }

  @Override
  public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> response) {
    answer(response, () -> {
      Ids.lookupKey(request.getPodSandboxId(), "pod_sandbox_id").ifPresent(pods::stop);
      return StopPodSandboxResponse.getDefaultInstance();
    });
  }

  @Override
  public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> response) {
    answer(response, () -> {
      Ids.lookupKey(request.getPodSandboxId(), "pod_sandbox_id").ifPresent(key -> {
        Optional<String> id = sandboxes.find(key).map(Sandbox::id);
        pods.remove(key);
        // Its containers' entries go at the next scrape, with every other removed object's.
        id.ifPresent(stats::limitsChanged);
      });
      return RemovePodSandboxResponse.getDefaultInstance();
    });
  }

  @Override
  public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> response) {
    answer(response, () -> {
      Sandbox sandbox = sandboxes.require(sandboxKey(request.getPodSandboxId()));
      PodSandboxStatusResponse.Builder reply = PodSandboxStatusResponse.newBuilder()
          .setStatus(SandboxTranslator.status(sandbox));
      if (request.getVerbose()) {
        reply.putInfo("info", VerboseInfo.of(sandbox));
      }
      return reply.build();
    });
  }

  @Override
  public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> response) {
    answer(response, () -> {
      PodSandboxFilter filter = request.getFilter();
      List<Sandbox> candidates = filter.getId().isEmpty() ? sandboxes.list()
          : sandboxes.find(filter.getId()).map(List::of).orElse(List.of());
      ListPodSandboxResponse.Builder reply = ListPodSandboxResponse.newBuilder();
      for (Sandbox sandbox : candidates) {
        if (filter.hasState() && SandboxTranslator.state(sandbox.state()) != filter.getState().getState()) {
          continue;
        }
        if (!LabelSelector.matches(filter.getLabelSelectorMap(), sandbox.spec().labels())) {
          continue;
        }
        reply.addItems(SandboxTranslator.summary(sandbox));
      }
      return reply.build();
    });
  }

  @Override
  public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> response) {
    answer(response, () -> {
      String sandboxId = sandboxKey(request.getPodSandboxId());
      Validate.present(request.hasConfig(), "container config");
      var containerRequest = ContainerTranslator.request(request.getConfig());
      requireHandlerFeatures(sandboxes.require(sandboxId), containerRequest);
      info.requireRuntimeReady();
      Container container = containers.create(sandboxId, containerRequest);
      return CreateContainerResponse.newBuilder().setContainerId(container.id()).build();
    });
  }

  /** A mount the pod's runtime handler cannot make is refused before anything is created. */
  private void requireHandlerFeatures(Sandbox sandbox, ContainerRequest request) {
    String name = sandbox.spec().runtimeHandler();
    boolean rro = runtimeHandlers.find(name).map(h -> h.features().recursiveReadOnlyMounts()).orElse(false);
    for (MountSpec mount : request.mounts()) {
      if (mount.recursiveReadOnly() && !rro) {
        throw new CriException.InvalidArgument("mount " + mount.containerPath() + ": recursive_read_only is not"
            + " supported by runtime handler \"" + name + "\" on this node (see Status runtime_handlers)");
      }
    }
  }

  @Override
  public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> response) {
    answer(response, () -> {
      containers.start(containerKey(request.getContainerId()));
      return StartContainerResponse.getDefaultInstance();
    });
  }

  @Override
  public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> response) {
    answer(response, () -> {
      Duration timeout = Duration.ofSeconds(Math.max(0, request.getTimeout()));
      Ids.lookupKey(request.getContainerId(), "container_id").ifPresent(id -> containers.stop(id, timeout));
      return StopContainerResponse.getDefaultInstance();
    });
  }

  @Override
  public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> response) {
    answer(response, () -> {
      Ids.lookupKey(request.getContainerId(), "container_id").ifPresent(key -> {
        Optional<String> id = containers.find(key).map(Container::id);
        containers.remove(key);
        id.ifPresent(stats::limitsChanged);
      });
      return RemoveContainerResponse.getDefaultInstance();
    });
  }

  @Override
  public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> response) {
    answer(response, () -> {
      Container container = containers.require(containerKey(request.getContainerId()));
      ContainerStatusResponse.Builder reply = ContainerStatusResponse.newBuilder()
          .setStatus(ContainerTranslator.status(container));
      if (request.getVerbose()) {
        reply.putInfo("info", VerboseInfo.of(container));
      }
      return reply.build();
    });
  }

  @Override
  public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> response) {
    answer(response, () -> {
      ContainerFilter filter = request.getFilter();
      List<Container> candidates = filter.getId().isEmpty() ? containers.list()
          : containers.find(filter.getId()).map(List::of).orElse(List.of());
      String sandboxPrefix = filter.getPodSandboxId();
      ListContainersResponse.Builder reply = ListContainersResponse.newBuilder();
      for (Container container : candidates) {
        if (!sandboxPrefix.isEmpty() && !container.sandboxId().startsWith(sandboxPrefix)) {
          continue;
        }
        if (filter.hasState() && ContainerTranslator.state(container.state()) != filter.getState().getState()) {
          continue;
        }
        if (!LabelSelector.matches(filter.getLabelSelectorMap(), container.spec().labels())) {
          continue;
        }
        reply.addContainers(ContainerTranslator.summary(container));
      }
      return reply.build();
    });
  }

  /**
   * Writes a checkpoint archive of a running container to {@code location}; it keeps running.
   * The request's timeout is not applied: runc checkpoint has no deadline of its own to hand it.
   */
  @Override
  public void checkpointContainer(CheckpointContainerRequest request,
      StreamObserver<CheckpointContainerResponse> response) {
    answer(response, () -> {
      String id = containerKey(request.getContainerId());
      String location = request.getLocation();
      if (location.isEmpty()) {
        throw new CriException.InvalidArgument("checkpoint location is empty");
      }
      if (!location.startsWith("/")) {
        throw new CriException.InvalidArgument("checkpoint location \"" + location + "\" is not an absolute path");
      }
      containers.checkpoint(id, java.nio.file.Path.of(location).normalize());
      return CheckpointContainerResponse.getDefaultInstance();
    });
  }

  @Override
  public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> response) {
    answer(response, () -> {
      String id = containerKey(request.getContainerId());
      Duration timeout = execSyncTimeout(request.getTimeout(), Context.current().getDeadline());
      ExecResult result = whileTheClientWaits(() -> containers.execSync(id, request.getCmdList(), timeout));
      if (result.timedOut()) {
        throw Status.DEADLINE_EXCEEDED
            .withDescription("command " + request.getCmdList() + " timed out after " + timeout.toSeconds() + " s")
            .asRuntimeException();
      }
      if (result.truncated()) {
        // ExecSyncResponse has no field to say so: the kubelet cuts output the same way, silently.
        log.info("ExecSync {} in {} wrote more than {} bytes; the answer keeps the first of them",
            request.getCmdList(), request.getContainerId(), ExecResult.OUTPUT_LIMIT);
      }
      return ExecSyncResponse.newBuilder()
          .setExitCode(result.exitCode())
          .setStdout(ByteString.copyFrom(result.stdout()))
          .setStderr(ByteString.copyFrom(result.stderr()))
          .build();
    });
  }

  /** The request's timeout, or what is left of the client's deadline when that comes first. */
  static Duration execSyncTimeout(long requestSeconds, Deadline deadline) {
    Duration timeout = requestSeconds > 0 ? Duration.ofSeconds(requestSeconds) : NO_EXEC_TIMEOUT;
    if (deadline != null) {
      Duration left = Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1),
          deadline.timeRemaining(TimeUnit.NANOSECONDS)));
      if (left.compareTo(timeout) < 0) {
        return left;
      }
    }
    return timeout;
  }

  /**
   * Runs {@code work}, interrupting it when the client cancels the call or its deadline passes:
   * an exec nobody waits for any more is killed rather than left to run its course.
   */
  private static <T> T whileTheClientWaits(Supplier<T> work) {
    Context context = Context.current();
    Thread caller = Thread.currentThread();
    Context.CancellationListener interrupt = cancelled -> caller.interrupt();
    context.addListener(interrupt, Runnable::run);
    try {
      return work.get();
    } finally {
      context.removeListener(interrupt);
    }
  }

  @Override
  public void exec(ExecRequest request, StreamObserver<ExecResponse> response) {
    answer(response, () -> {
      Container container = runningContainer(request.getContainerId());
      if (request.getCmdCount() == 0) {
        throw new CriException.InvalidArgument("exec cmd is empty");
      }
      StreamRequest.Stdio stdio = stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
      return ExecResponse.newBuilder()
          .setUrl(streamUrls.apply(new StreamRequest.Exec(container.id(), request.getCmdList(), stdio)))
          .build();
    });
  }

  @Override
  public void attach(AttachRequest request, StreamObserver<AttachResponse> response) {
    answer(response, () -> {
      Container container = runningContainer(request.getContainerId());
      StreamRequest.Stdio stdio = stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
      if (stdio.stdin() && !container.spec().stdin()) {
        throw new CriException.InvalidArgument("container " + container.id() + " was not created with stdin");
      }
      return AttachResponse.newBuilder()
          .setUrl(streamUrls.apply(new StreamRequest.Attach(container.id(), stdio)))
          .build();
    });
  }

  @Override
  public void portForward(PortForwardRequest request, StreamObserver<PortForwardResponse> response) {
    answer(response, () -> {
      Sandbox sandbox = sandboxes.require(sandboxKey(request.getPodSandboxId()));
      for (int port : request.getPortList()) {
        if (port < 1 || port > 65535) {
          throw new CriException.InvalidArgument("port " + port + " is out of range");
        }
      }
      return PortForwardResponse.newBuilder()
          .setUrl(streamUrls.apply(new StreamRequest.PortForward(sandbox.id())))
          .build();
    });
  }

  private Container runningContainer(String containerId) {
    Container container = containers.require(containerKey(containerId));
    if (container.state() != dev.berth.runtime.container.ContainerState.RUNNING) {
      throw new CriException.FailedPrecondition("container " + container.id() + " is not running");
    }
    return container;
  }

  /** The kubelet's checks: something to stream, and a terminal merges stderr into stdout. */
  private static StreamRequest.Stdio stdio(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    if (tty && stderr) {
      throw new CriException.InvalidArgument("tty and stderr cannot both be true");
    }
    if (!stdin && !stdout && !stderr) {
      throw new CriException.InvalidArgument("one of stdin, stdout, or stderr must be set");
    }
    return new StreamRequest.Stdio(stdin, stdout, stderr, tty);
  }

  @Override
  public void updateContainerResources(UpdateContainerResourcesRequest request,
      StreamObserver<UpdateContainerResourcesResponse> response) {
    answer(response, () -> {
      String id = containerKey(request.getContainerId());
      containers.updateResources(id, ContainerTranslator.resources(request.getLinux()));
      stats.limitsChanged(containers.require(id).id());
      return UpdateContainerResourcesResponse.getDefaultInstance();
    });
  }

  @Override
  public void updatePodSandboxResources(UpdatePodSandboxResourcesRequest request,
      StreamObserver<UpdatePodSandboxResourcesResponse> response) {
    answer(response, () -> {
      String id = sandboxKey(request.getPodSandboxId());
      sandboxes.updateResources(id, PodResourcesTranslator.limits(request.getResources()));
      stats.limitsChanged(sandboxes.require(id).id());
      return UpdatePodSandboxResourcesResponse.getDefaultInstance();
    });
  }

  @Override
  public void reopenContainerLog(ReopenContainerLogRequest request,
      StreamObserver<ReopenContainerLogResponse> response) {
    answer(response, () -> {
      containers.reopenLog(containerKey(request.getContainerId()));
      return ReopenContainerLogResponse.getDefaultInstance();
    });
  }

  @Override
  public void containerStats(ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> response) {
    answer(response, () -> {
      Container container = containers.require(containerKey(request.getContainerId()));
      ContainerSample sample = stats.container(ManagedWorkloads.snapshot(container));
      return ContainerStatsResponse.newBuilder().setStats(criStats.container(sample)).build();
    });
  }

  @Override
  public void listContainerStats(ListContainerStatsRequest request,
      StreamObserver<ListContainerStatsResponse> response) {
    answer(response, () -> {
      ContainerStatsFilter filter = request.getFilter();
      List<Container> candidates = filter.getId().isEmpty() ? containers.list()
          : containers.find(filter.getId()).map(List::of).orElse(List.of());
      String sandboxPrefix = filter.getPodSandboxId();
      ListContainerStatsResponse.Builder reply = ListContainerStatsResponse.newBuilder();
      for (Container container : candidates) {
        if (!sandboxPrefix.isEmpty() && !container.sandboxId().startsWith(sandboxPrefix)) {
          continue;
        }
        if (!LabelSelector.matches(filter.getLabelSelectorMap(), container.spec().labels())) {
          continue;
        }
        reply.addStats(criStats.container(stats.container(ManagedWorkloads.snapshot(container))));
      }
      forgetRemoved();
      return reply.build();
    });
  }

  @Override
  public void podSandboxStats(PodSandboxStatsRequest request, StreamObserver<PodSandboxStatsResponse> response) {
    answer(response, () -> {
      Sandbox sandbox = sandboxes.require(sandboxKey(request.getPodSandboxId()));
      PodSample sample = stats.pod(ManagedWorkloads.snapshot(sandbox));
      return PodSandboxStatsResponse.newBuilder().setStats(criStats.pod(sample)).build();
    });
  }

  @Override
  public void listPodSandboxStats(ListPodSandboxStatsRequest request,
      StreamObserver<ListPodSandboxStatsResponse> response) {
    answer(response, () -> {
      PodSandboxStatsFilter filter = request.getFilter();
      List<Sandbox> candidates = filter.getId().isEmpty() ? sandboxes.list()
          : sandboxes.find(filter.getId()).map(List::of).orElse(List.of());
      ListPodSandboxStatsResponse.Builder reply = ListPodSandboxStatsResponse.newBuilder();
      for (Sandbox sandbox : candidates) {
        if (LabelSelector.matches(filter.getLabelSelectorMap(), sandbox.spec().labels())) {
          reply.addStats(criStats.pod(stats.pod(ManagedWorkloads.snapshot(sandbox))));
        }
      }
      forgetRemoved();
      return reply.build();
    });
  }

  @Override
  public void listMetricDescriptors(ListMetricDescriptorsRequest request,
      StreamObserver<ListMetricDescriptorsResponse> response) {
    answer(response, () -> ListMetricDescriptorsResponse.newBuilder().addAllDescriptors(criMetrics.descriptors()).build());
  }

  @Override
  public void listPodSandboxMetrics(ListPodSandboxMetricsRequest request,
      StreamObserver<ListPodSandboxMetricsResponse> response) {
    answer(response, () -> {
      ListPodSandboxMetricsResponse.Builder reply = ListPodSandboxMetricsResponse.newBuilder();
      stats.all().forEach(pod -> reply.addPodMetrics(criMetrics.pod(pod)));
      return reply.build();
    });
  }

  /** CPU-rate readings of removed containers and pods go with them. */
  private void forgetRemoved() {
    Set<String> live = new java.util.HashSet<>();
    containers.list().forEach(c -> live.add(c.id()));
    sandboxes.list().forEach(s -> live.add(s.id()));
    criStats.retainOnly(live);
  }

  // The streaming list calls: the unary twin's answer, in pages.

  @Override
  public void streamPodSandboxes(StreamPodSandboxesRequest request, StreamObserver<StreamPodSandboxesResponse> response) {
    Pages.stream(out -> listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(request.getFilter()).build(), out),
        ListPodSandboxResponse::getItemsList,
        page -> StreamPodSandboxesResponse.newBuilder().addAllPodSandboxes(page).build(), response);
  }

  @Override
  public void streamContainers(StreamContainersRequest request, StreamObserver<StreamContainersResponse> response) {
    Pages.stream(out -> listContainers(ListContainersRequest.newBuilder().setFilter(request.getFilter()).build(), out),
        ListContainersResponse::getContainersList,
        page -> StreamContainersResponse.newBuilder().addAllContainers(page).build(), response);
  }

  @Override
  public void streamContainerStats(StreamContainerStatsRequest request,
      StreamObserver<StreamContainerStatsResponse> response) {
    Pages.stream(out -> listContainerStats(
            ListContainerStatsRequest.newBuilder().setFilter(request.getFilter()).build(), out),
        ListContainerStatsResponse::getStatsList,
        page -> StreamContainerStatsResponse.newBuilder().addAllContainerStats(page).build(), response);
  }

  @Override
  public void streamPodSandboxStats(StreamPodSandboxStatsRequest request,
      StreamObserver<StreamPodSandboxStatsResponse> response) {
    Pages.stream(out -> listPodSandboxStats(
            ListPodSandboxStatsRequest.newBuilder().setFilter(request.getFilter()).build(), out),
        ListPodSandboxStatsResponse::getStatsList,
        page -> StreamPodSandboxStatsResponse.newBuilder().addAllPodSandboxStats(page).build(), response);
  }

  @Override
  public void streamPodSandboxMetrics(StreamPodSandboxMetricsRequest request,
      StreamObserver<StreamPodSandboxMetricsResponse> response) {
    Pages.stream(out -> listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance(), out),
        ListPodSandboxMetricsResponse::getPodMetricsList,
        page -> StreamPodSandboxMetricsResponse.newBuilder().addAllPodSandboxMetrics(page).build(), response);
  }

  /** Per subscriber: a kubelet reads continuously; one that falls this far behind is cut off. */
  private static final int EVENT_BUFFER = 1024;

  /**
   * The evented PLEG's feed: each container state change with the pod's status and its
   * containers' statuses at the time of sending, from the state changes themselves (no polling).
   */
  @Override
  public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> response) {
    ServerCallStreamObserver<ContainerEventResponse> out = (ServerCallStreamObserver<ContainerEventResponse>) response;
    ContainerEvents.Subscription subscription = events.subscribe(EVENT_BUFFER);
    out.setOnCancelHandler(subscription::close);
    try (subscription) {
      while (!out.isCancelled()) {
        if (events.closed()) {
          out.onCompleted();
          return;
        }
        ContainerEvent event = subscription.next(500);
        if (event == null) {
          if (subscription.overflowed()) {
            out.onError(io.grpc.Status.RESOURCE_EXHAUSTED
                .withDescription("container event subscriber fell " + EVENT_BUFFER + " events behind").asRuntimeException());
            return;
          }
          continue;
        }
        out.onNext(eventResponse(event));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.onError(io.grpc.Status.CANCELLED.withDescription("berth is stopping").asRuntimeException());
    }
  }

  private ContainerEventResponse eventResponse(ContainerEvent event) {
    ContainerEventResponse.Builder reply = ContainerEventResponse.newBuilder()
        .setContainerId(event.containerId())
        .setContainerEventType(switch (event.type()) {
          case CREATED -> ContainerEventType.CONTAINER_CREATED_EVENT;
          case STARTED -> ContainerEventType.CONTAINER_STARTED_EVENT;
          case STOPPED -> ContainerEventType.CONTAINER_STOPPED_EVENT;
          case DELETED -> ContainerEventType.CONTAINER_DELETED_EVENT;
        })
        .setCreatedAt(event.atNanos());
    sandboxes.find(event.sandboxId()).ifPresent(sandbox -> reply.setPodSandboxStatus(SandboxTranslator.status(sandbox)));
    containers.list().stream()
        .filter(container -> container.sandboxId().equals(event.sandboxId()))
        .forEach(container -> reply.addContainersStatuses(ContainerTranslator.status(container)));
    return reply.build();
  }
}
