package dev.berth.bench;

import dev.berth.bench.compare.Ratios;
import dev.berth.bench.registry.ImagePusher;
import dev.berth.bench.registry.LocalRegistry;
import dev.berth.bench.registry.RandomImage;
import dev.berth.bench.report.JsonReport;
import dev.berth.bench.report.Ratio;
import dev.berth.bench.report.Recorder;
import dev.berth.bench.report.TableReport;
import dev.berth.bench.workload.BenchOptions;
import dev.berth.bench.workload.ColdStart;
import dev.berth.bench.workload.CriPods;
import dev.berth.bench.workload.ImagePull;
import dev.berth.bench.workload.KubeletPoll;
import dev.berth.bench.workload.Memory;
import dev.berth.bench.workload.PodFleet;
import dev.berth.bench.workload.PodStart;
import dev.berth.bench.workload.Rootfs;
import dev.berth.bench.workload.Scrape;
import dev.berth.bench.workload.Target;
import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.VersionRequest;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the chosen workloads against every target, round after round, alternating which target
 * goes first so that neither always runs on a warmer (or busier) machine.
 */
@Command(name = "run", description = "Run named workloads against one or more CRI targets.")
final class RunCommand implements Callable<Integer> {

  private static final Set<String> WORKLOADS = Set.of(PodStart.NAME, PodStart.SHARED_PID_NAME, KubeletPoll.NAME,
      Scrape.NAME, Memory.NAME, Rootfs.NAME, ImagePull.NAME);
  private static final Set<String> FLEET_WORKLOADS = Set.of(KubeletPoll.NAME, Scrape.NAME, Memory.NAME);

  @Option(names = "--target", required = true, paramLabel = "SPEC",
      description = "name=N,socket=PATH[,pid=PID][,shim=EXE,shim-marker=S][,metrics=URL][,cgroup-parent=P][,cold=FILE]; "
          + "repeat to compare. cold=FILE: what 'bench cold-start' measured while this daemon started.")
  List<String> targets;

  @Option(names = "--workloads", split = ",",
      defaultValue = "pod-start,pod-start-shared-pid,kubelet-poll,scrape,memory,image-pull",
      description = "Any of pod-start, pod-start-shared-pid, kubelet-poll, scrape, memory, rootfs, image-pull "
          + "(default: ${DEFAULT-VALUE}).")
  List<String> workloads;

  @Option(names = "--rounds", defaultValue = "1", description = "Rounds; targets alternate within each.")
  int rounds;

  @Option(names = "--runs", defaultValue = "20", description = "pod-start: pods per phase (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--parallel", defaultValue = "8", description = "pod-start: pods started at once.")
  int parallel;

  @Option(names = "--pods", defaultValue = "100", description = "Pods running during kubelet-poll, scrape, memory.")
  int pods;

  @Option(names = "--poll-loops", defaultValue = "20", description = "kubelet-poll: relist iterations per round.")
  int pollLoops;

  @Option(names = "--warmup-loops", defaultValue = "20",
      description = "kubelet-poll and scrape: unrecorded iterations (relists, GETs) before the recorded ones, "
          + "for every target alike and in every round; the first is reported apart as 'relist first', "
          + "'relist+stats first' and 'GET first ...' (the cold cost). 0: none (default ${DEFAULT-VALUE}).")
  int warmupLoops;

  @Option(names = "--scrapes", defaultValue = "20", description = "scrape: GETs per round.")
  int scrapes;

  @Option(names = "--memory-samples", defaultValue = "5", description = "memory: readings per round, 1 s apart.")
  int memorySamples;

  @Option(names = "--rootfs-containers", defaultValue = "100", description = "rootfs: containers per round.")
  int rootfsContainers;

  @Option(names = "--pulls", defaultValue = "3", description = "image-pull: pull+remove cycles per round.")
  int pulls;

  @Option(names = "--image-size-mb", defaultValue = "50", description = "image-pull: size of the 3-layer image.")
  int imageSizeMb;

  @Option(names = "--registry-port", defaultValue = "0", description = "image-pull: registry port (0: a free one).")
  int registryPort;

  @Option(names = "--image", defaultValue = "docker.io/library/busybox:bench",
      description = "The busybox image, already in every target (default ${DEFAULT-VALUE}).")
  String image;

  @Option(names = "--work", description = "Scratch directory (default: a new one under /tmp).")
  Path work;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
  Path json;

  @Override
  public Integer call() throws Exception {
    for (String workload : workloads) {
      if (!WORKLOADS.contains(workload)) {
        throw new IllegalArgumentException("unknown workload " + workload + "; known: " + WORKLOADS);
      }
    }
    List<Target> parsed = targets.stream().map(Target::parse).toList();
    Path scratch = work != null ? Files.createDirectories(work) : Files.createTempDirectory("bench");
    BenchOptions options = new BenchOptions(runs, parallel, pods, pollLoops, warmupLoops, scrapes, memorySamples,
        rootfsContainers, pulls, image, scratch);
    Recorder recorder = new Recorder();
    for (Target target : parsed) {
      if (target.coldStart() != null) {
        ColdStart.Result.read(target.coldStart()).record(recorder, target.name());
      }
    }
    LocalRegistry registry = null;
    String pullReference = null;
    try {
      if (workloads.contains(ImagePull.NAME)) {
        registry = LocalRegistry.start(scratch.resolve("registry"), registryPort);
        log("image-pull: building a %d MB 3-layer image and pushing it to %s", imageSizeMb, registry.host());
        RandomImage.Built built = RandomImage.build(scratch.resolve("image"), 3, imageSizeMb * 1024L * 1024L);
        new ImagePusher(registry.base()).push("bench/random", "v1", built);
        pullReference = registry.host() + "/bench/random:v1";
      }
      for (int round = 1; round <= rounds; round++) {
        List<Target> order = new ArrayList<>(parsed);
        if (round % 2 == 0) {
          Collections.reverse(order);
        }
        for (Target target : order) {
          runRound(target, round, options, recorder, pullReference);
        }
      }
    } finally {
      if (registry != null) {
        registry.close();
      }
    }

    TableReport.print(recorder, System.out);
    boolean compared = parsed.size() >= 2;
    List<Ratio> ratios = compared
        ? Ratios.compute(recorder, parsed.get(0).name(), parsed.get(1).name()) : List.of();
    List<Ratio> phases = compared
        ? Ratios.podStartPhases(recorder, parsed.get(0).name(), parsed.get(1).name()) : List.of();
    if (json != null) {
      JsonReport.write(JsonReport.document(OffsetDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
          InetAddress.getLocalHost().getHostName(), settings(), recorder, ratios, phases), json);
      System.out.println("json: " + json);
    }
    if (!phases.isEmpty()) {
      System.out.println("pod-start p50 per phase: " + Ratios.line(parsed.get(0).name(), parsed.get(1).name(), phases));
    }
    if (!ratios.isEmpty()) {
      System.out.println(Ratios.line(parsed.get(0).name(), parsed.get(1).name(), ratios));
    }
    return 0;
  }

  private void runRound(Target target, int round, BenchOptions options, Recorder recorder, String pullReference)
      throws Exception {
    try (CriClient client = CriClient.connect(target.socket())) {
      // One untimed call first: a fresh connection's first call (and, in round 1, a fresh bench
      // JVM's) pays for connecting and for the client's own class loading, which is no
      // runtime's doing and would land on whichever target happens to go first.
      client.runtime(Duration.ofMinutes(1)).version(VersionRequest.getDefaultInstance());
      CriPods pods = new CriPods(client, options, target);
      String name = target.name();
      if (workloads.contains(PodStart.NAME)) {
        log("round %d %s: pod-start (%d sequential, %d at a time)", round, name, runs, parallel);
        new PodStart(pods, options, recorder, name).run();
      }
      if (workloads.contains(PodStart.SHARED_PID_NAME)) {
        log("round %d %s: pod-start-shared-pid (%d sequential, %d at a time)", round, name, runs, parallel);
        new PodStart(new CriPods(client, options, target, CriPods.PidNamespace.SHARED_BY_POD), options, recorder,
            name).run();
      }
      if (workloads.contains(Rootfs.NAME)) {
        log("round %d %s: rootfs (%d containers created and removed)", round, name, rootfsContainers);
        new Rootfs(pods, options, recorder, name).run();
      }
      if (workloads.contains(ImagePull.NAME)) {
        log("round %d %s: image-pull (%d pulls of %s)", round, name, pulls, pullReference);
        new ImagePull(client, options, recorder, name).run(pullReference, imageSizeMb + "MB");
      }
      if (workloads.stream().anyMatch(FLEET_WORKLOADS::contains)) {
        log("round %d %s: starting %d pods", round, name, options.pods());
        try (PodFleet fleet = PodFleet.start(pods, options.pods())) {
          if (workloads.contains(KubeletPoll.NAME)) {
            log("round %d %s: kubelet-poll (%d warm-up and %d recorded relists)", round, name, warmupLoops, pollLoops);
            new KubeletPoll(pods, options, recorder, name).run(fleet);
          }
          if (workloads.contains(Scrape.NAME)) {
            log("round %d %s: scrape (%d warm-up and %d recorded GETs)", round, name, warmupLoops, scrapes);
            new Scrape(options, recorder, target).run(fleet);
          }
          if (workloads.contains(Memory.NAME)) {
            log("round %d %s: memory (%d readings)", round, name, memorySamples);
            new Memory(options, recorder, target).run(fleet);
          }
          log("round %d %s: removing %d pods", round, name, options.pods());
        }
      }
    }
  }

  private Map<String, Object> settings() {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("workloads", workloads);
    settings.put("targets", targets);
    settings.put("rounds", rounds);
    settings.put("runs", runs);
    settings.put("parallel", parallel);
    settings.put("pods", pods);
    settings.put("pollLoops", pollLoops);
    settings.put("warmupLoops", warmupLoops);
    settings.put("scrapes", scrapes);
    settings.put("rootfsContainers", rootfsContainers);
    settings.put("pulls", pulls);
    settings.put("imageSizeMb", imageSizeMb);
    return settings;
  }

  private static void log(String format, Object... args) {
    System.err.printf("bench: " + format + "%n", args);
  }
}
