package dev.berth.runtime.load;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.Container;
import dev.berth.cri.v1.ContainerFilter;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStatsFilter;
import dev.berth.cri.v1.ContainerStatsRequest;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ContainerStatusRequest;
import dev.berth.cri.v1.CreateContainerRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.ListContainerStatsRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.cri.v1.PodSandboxFilter;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatsFilter;
import dev.berth.cri.v1.PodSandboxStatsRequest;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.RunPodSandboxRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import dev.berth.cri.v1.StartContainerRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.PodTestEnv;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One of the load test's clients: a loop of random lifecycle calls on its own pods and
 * containers, through its own connection. It owns what it creates, so every answer about those
 * objects can be checked against what it knows (a list for its pod shows exactly its containers,
 * a stopped container is exited, a removed one is not found). It records every id it created and
 * removed, and leaves nothing behind when it {@link #cleanUp cleans up}.
 */
final class LoadClient {

  /** Live pods per client: 16 clients with two pods of two containers each keep a 2-core host busy enough. */
  static final int MAX_PODS = 2;
  static final int MAX_CONTAINERS_PER_POD = 2;
  /**
   * Every call's deadline. Generous (a loaded 2-core host can take seconds for a RunPodSandbox),
   * but far shorter than the run: a call that reaches it is hung, and fails the test.
   */
  static final Duration DEADLINE = Duration.ofSeconds(90);
  /** Handles SIGTERM at once, so a graceful stop ends it promptly; `wait` returns on the signal. */
  private static final List<String> SERVER = List.of("sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait");
  private static final List<String> ONE_SHOT = List.of("sh", "-c", "echo done");

  private enum Kind { SERVER, ONE_SHOT }

  /** What this client knows about one of its containers. */
  private static final class Known {
    final String id;
    final Kind kind;
    boolean started;
    boolean stopped;

    Known(String id, Kind kind) {
      this.id = id;
      this.kind = kind;
    }

    /** Known to be running: a server that was started and not stopped. */
    boolean running() {
      return kind == Kind.SERVER && started && !stopped;
    }
  }

  private final String name;
  private final PodTestEnv env;
  private final CriClient client;
  private final CallLedger ledger;
  private final Random random;
  private final Map<String, Map<String, Known>> pods = new LinkedHashMap<>();
  private final Map<String, String> podNames = new java.util.HashMap<>();
  private final Set<String> podsCreated = new HashSet<>();
  private final Set<String> podsRemoved = new HashSet<>();
  private final Set<String> containersCreated = new HashSet<>();
  private final Set<String> containersRemoved = new HashSet<>();
  private final List<String> removedPods = new ArrayList<>();
  private final List<String> removedContainers = new ArrayList<>();
  private int podSerial;
  private int containerSerial;

  LoadClient(String name, PodTestEnv env, CriClient client, CallLedger ledger, long seed) {
    this.name = name;
    this.env = env;
    this.client = client;
    this.ledger = ledger;
    this.random = new Random(seed);
  }

  private RuntimeServiceBlockingStub rt() {
    return client.runtime(DEADLINE);
  }

  /** Runs random steps until {@code deadlineNanos}, then removes everything it still has. */
  void run(long deadlineNanos) {
    while (System.nanoTime() < deadlineNanos) {
      step();
    }
    cleanUp();
  }

  private void step() {
    if (pods.isEmpty() || pods.size() < MAX_PODS && random.nextInt(10) == 0) {
      runPod();
      return;
    }
    String pod = pick(pods.keySet());
    Map<String, Known> containers = pods.get(pod);
    int roll = random.nextInt(100);
    if (roll < 14) {
      if (containers.size() < MAX_CONTAINERS_PER_POD) {
        createContainer(pod, random.nextInt(4) == 0 ? Kind.ONE_SHOT : Kind.SERVER);
      } else {
        removeContainer(pod, pick(containers.keySet()));
      }
    } else if (roll < 30) {
      exec(containers);
    } else if (roll < 40) {
      containerStatus(containers);
    } else if (roll < 48) {
      listContainersOf(pod);
    } else if (roll < 52) {
      podStatus(pod);
    } else if (roll < 56) {
      listPods();
    } else if (roll < 66) {
      stats(pod, containers);
    } else if (roll < 70) {
      imageStatus();
    } else if (roll < 78) {
      stopContainer(containers);
    } else if (roll < 84) {
      if (!containers.isEmpty()) {
        removeContainer(pod, pick(containers.keySet()));
      }
    } else if (roll < 90) {
      removePod(pod);
    } else {
      failOnPurpose(containers);
    }
  }

  private void runPod() {
    String podName = name + "-p" + (++podSerial);
    String id = ledger.call("RunPodSandbox", () -> rt().runPodSandbox(RunPodSandboxRequest.newBuilder()
        .setConfig(env.podConfig(podName)).build())).getPodSandboxId();
    podsCreated.add(id);
    podNames.put(id, podName);
    pods.put(id, new LinkedHashMap<>());
  }

  private void createContainer(String pod, Kind kind) {
    String containerName = "c" + (++containerSerial);
    String id = ledger.call("CreateContainer", () -> rt().createContainer(CreateContainerRequest.newBuilder()
        .setPodSandboxId(pod)
        .setSandboxConfig(env.podConfig(podNames.get(pod)))
        .setConfig(env.containerConfig(containerName, (kind == Kind.SERVER ? SERVER : ONE_SHOT).toArray(String[]::new)))
        .build())).getContainerId();
    containersCreated.add(id);
    Known known = new Known(id, kind);
    pods.get(pod).put(id, known);
    // Most are started at once; some stay created for a while, as a kubelet's may.
    if (random.nextInt(5) != 0) {
      start(known);
    }
  }

  private void start(Known known) {
    ledger.call("StartContainer", () -> rt().startContainer(StartContainerRequest.newBuilder()
        .setContainerId(known.id).build()));
    known.started = true;
  }

  private void exec(Map<String, Known> containers) {
    List<Known> running = containers.values().stream().filter(Known::running).toList();
    if (running.isEmpty()) {
      Known created = containers.values().stream().filter(k -> !k.started && !k.stopped).findFirst().orElse(null);
      if (created != null) {
        start(created);
      }
      return;
    }
    Known target = running.get(random.nextInt(running.size()));
    String word = "w" + random.nextInt(1_000_000);
    ExecSyncResponse reply = ledger.call("ExecSync", () -> rt().execSync(ExecSyncRequest.newBuilder()
        .setContainerId(target.id).addAllCmd(List.of("echo", word)).setTimeout(30).build()));
    String out = reply.getStdout().toString(StandardCharsets.UTF_8).trim();
    if (reply.getExitCode() != 0 || !out.equals(word)) {
      throw ledger.problem("exec in " + target.id + " gave exit " + reply.getExitCode() + ", stdout '" + out
          + "', stderr '" + reply.getStderr().toString(StandardCharsets.UTF_8) + "'");
    }
  }

  private void containerStatus(Map<String, Known> containers) {
    if (containers.isEmpty()) {
      return;
    }
    Known known = containers.get(pick(containers.keySet()));
    ContainerStatus status = ledger.call("ContainerStatus", () -> rt().containerStatus(ContainerStatusRequest
        .newBuilder().setContainerId(known.id).build())).getStatus();
    ContainerState state = status.getState();
    boolean consistent = known.stopped ? state == ContainerState.CONTAINER_EXITED
        : !known.started ? state == ContainerState.CONTAINER_CREATED
        : known.kind == Kind.SERVER ? state == ContainerState.CONTAINER_RUNNING
        : state == ContainerState.CONTAINER_RUNNING || state == ContainerState.CONTAINER_EXITED;
    if (!consistent) {
      throw ledger.problem("container " + known.id + " (" + known.kind + ", started " + known.started + ", stopped "
          + known.stopped + ") is " + state);
    }
  }

  /** The pod is this client's alone: the daemon must list exactly the containers it knows of. */
  private void listContainersOf(String pod) {
    List<Container> listed = ledger.call("ListContainers", () -> rt().listContainers(ListContainersRequest.newBuilder()
        .setFilter(ContainerFilter.newBuilder().setPodSandboxId(pod)).build())).getContainersList();
    Set<String> ids = listed.stream().map(Container::getId).collect(Collectors.toCollection(TreeSet::new));
    if (!ids.equals(new TreeSet<>(pods.get(pod).keySet()))) {
      throw ledger.problem("pod " + pod + " lists containers " + ids + ", expected " + pods.get(pod).keySet());
    }
  }

  private void podStatus(String pod) {
    PodSandboxState state = ledger.call("PodSandboxStatus", () -> rt().podSandboxStatus(PodSandboxStatusRequest
        .newBuilder().setPodSandboxId(pod).build())).getStatus().getState();
    if (state != PodSandboxState.SANDBOX_READY) {
      throw ledger.problem("pod " + pod + " is " + state);
    }
  }

  /** Every pod of this client is listed, and none it removed; other clients' pods come and go. */
  private void listPods() {
    Set<String> listed = ledger.call("ListPodSandbox", () -> rt().listPodSandbox(ListPodSandboxRequest
        .getDefaultInstance())).getItemsList().stream().map(PodSandbox::getId).collect(Collectors.toSet());
    if (!listed.containsAll(pods.keySet())) {
      throw ledger.problem("ListPodSandbox misses pods of this client: " + pods.keySet() + " listed " + listed);
    }
    for (String removed : removedPods) {
      if (listed.contains(removed)) {
        throw ledger.problem("ListPodSandbox still lists removed pod " + removed);
      }
    }
  }

  private void stats(String pod, Map<String, Known> containers) {
    switch (random.nextInt(4)) {
      case 0 -> {
        int n = ledger.call("ListContainerStats", () -> rt().listContainerStats(ListContainerStatsRequest.newBuilder()
            .setFilter(ContainerStatsFilter.newBuilder().setPodSandboxId(pod)).build())).getStatsCount();
        if (n != containers.size()) {
          throw ledger.problem("ListContainerStats of pod " + pod + " has " + n + " entries for " + containers.size()
              + " containers");
        }
      }
      case 1 -> ledger.call("PodSandboxStats", () -> rt().podSandboxStats(PodSandboxStatsRequest.newBuilder()
          .setPodSandboxId(pod).build()));
      case 2 -> ledger.call("ListPodSandboxStats", () -> rt().listPodSandboxStats(ListPodSandboxStatsRequest
          .newBuilder().setFilter(PodSandboxStatsFilter.newBuilder().setId(pod)).build()));
      default -> {
        if (!containers.isEmpty()) {
          String id = pick(containers.keySet());
          ledger.call("ContainerStats", () -> rt().containerStats(ContainerStatsRequest.newBuilder()
              .setContainerId(id).build()));
        }
      }
    }
  }

  private void imageStatus() {
    boolean present = ledger.call("ImageStatus", () -> client.images(DEADLINE).imageStatus(ImageStatusRequest
        .newBuilder().setImage(ImageSpec.newBuilder().setImage(PodTestEnv.IMAGE)).build())).hasImage();
    if (!present) {
      throw ledger.problem("ImageStatus does not find " + PodTestEnv.IMAGE);
    }
  }

  /** A graceful stop (the server traps TERM) or an immediate kill; stopping twice is fine. */
  private void stopContainer(Map<String, Known> containers) {
    if (containers.isEmpty()) {
      return;
    }
    Known known = containers.get(pick(containers.keySet()));
    long timeout = random.nextBoolean() ? 0 : 20;
    ledger.call("StopContainer", () -> rt().stopContainer(StopContainerRequest.newBuilder()
        .setContainerId(known.id).setTimeout(timeout).build()));
    known.stopped = true;
    ContainerState state = ledger.call("ContainerStatus", () -> rt().containerStatus(ContainerStatusRequest
        .newBuilder().setContainerId(known.id).build())).getStatus().getState();
    if (state != ContainerState.CONTAINER_EXITED) {
      throw ledger.problem("container " + known.id + " is " + state + " after StopContainer returned");
    }
  }

  private void removeContainer(String pod, String id) {
    ledger.call("RemoveContainer", () -> rt().removeContainer(RemoveContainerRequest.newBuilder()
        .setContainerId(id).build()));
    pods.get(pod).remove(id);
    containersRemoved.add(id);
    removedContainers.add(id);
  }

  private void removePod(String pod) {
    ledger.call("StopPodSandbox", () -> rt().stopPodSandbox(StopPodSandboxRequest.newBuilder()
        .setPodSandboxId(pod).build()));
    if (random.nextBoolean()) {
      PodSandboxState state = ledger.call("PodSandboxStatus", () -> rt().podSandboxStatus(PodSandboxStatusRequest
          .newBuilder().setPodSandboxId(pod).build())).getStatus().getState();
      if (state != PodSandboxState.SANDBOX_NOTREADY) {
        throw ledger.problem("pod " + pod + " is " + state + " after StopPodSandbox returned");
      }
    }
    ledger.call("RemovePodSandbox", () -> rt().removePodSandbox(RemovePodSandboxRequest.newBuilder()
        .setPodSandboxId(pod).build()));
    // Removing a pod removes its containers.
    for (String id : pods.remove(pod).keySet()) {
      containersRemoved.add(id);
      removedContainers.add(id);
    }
    podsRemoved.add(pod);
    podNames.remove(pod);
    removedPods.add(pod);
  }

  /** Calls whose failure is the right answer: what was removed is gone, a running container cannot start again. */
  private void failOnPurpose(Map<String, Known> containers) {
    switch (random.nextInt(4)) {
      case 0 -> {
        if (!removedContainers.isEmpty()) {
          String gone = removedContainers.get(random.nextInt(removedContainers.size()));
          ledger.mustFail("ContainerStatus", Status.Code.NOT_FOUND, () -> rt().containerStatus(
              ContainerStatusRequest.newBuilder().setContainerId(gone).build()));
        }
      }
      case 1 -> {
        if (!removedPods.isEmpty()) {
          String gone = removedPods.get(random.nextInt(removedPods.size()));
          ledger.mustFail("PodSandboxStatus", Status.Code.NOT_FOUND, () -> rt().podSandboxStatus(
              PodSandboxStatusRequest.newBuilder().setPodSandboxId(gone).build()));
        }
      }
      case 2 -> {
        if (!removedPods.isEmpty()) {
          String gone = removedPods.get(random.nextInt(removedPods.size()));
          ledger.mustFail("CreateContainer", Status.Code.NOT_FOUND, () -> rt().createContainer(
              CreateContainerRequest.newBuilder().setPodSandboxId(gone)
                  .setConfig(env.containerConfig("orphan", "true")).build()));
        }
      }
      default -> {
        containers.values().stream().filter(Known::running).findFirst().ifPresent(known ->
            ledger.mustFail("StartContainer", Status.Code.FAILED_PRECONDITION, () -> rt().startContainer(
                StartContainerRequest.newBuilder().setContainerId(known.id).build())));
      }
    }
  }

  /** Stops and removes every pod this client still has. */
  void cleanUp() {
    for (String pod : List.copyOf(pods.keySet())) {
      removePod(pod);
    }
  }

  private <T> T pick(Set<T> from) {
    int n = random.nextInt(from.size());
    for (T item : from) {
      if (n-- == 0) {
        return item;
      }
    }
    throw new IllegalStateException("empty");
  }

  Set<String> podsCreated() {
    return podsCreated;
  }

  Set<String> podsRemoved() {
    return podsRemoved;
  }

  Set<String> containersCreated() {
    return containersCreated;
  }

  Set<String> containersRemoved() {
    return containersRemoved;
  }

  /** Pods and containers this client believes exist (none after {@link #cleanUp}). */
  int live() {
    return pods.size() + pods.values().stream().mapToInt(Map::size).sum();
  }
}
