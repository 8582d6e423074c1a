package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ImageStatusRequest;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.runtime.testing.HostCgroupFiles;
import dev.berth.runtime.testing.PodTestEnv;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scrape as the kubelet's cAdvisor serves it: each family's type and labels against the table
 * below, when a series exists (CFS only under a quota, none for a stopped container), the new
 * families' values against /proc, the cgroup files and statfs, the image label of a container
 * the kubelet's way (by image id), gzip, and Debian's promtool's verdict.
 */
@Tag("integration")
@Timeout(180)
class CadvisorFamiliesTest {

  /** cAdvisor's type and labels past id, name, image, container, pod, namespace. */
  record Expected(String type, List<String> labels) {}

  static final List<String> BASE = List.of("id", "name", "image", "container", "pod", "namespace");

  /** As cAdvisor (v0.49, the kubelet's) defines these families; every container_ family served must be here. */
  static final Map<String, Expected> CADVISOR = Map.ofEntries(
      Map.entry("container_last_seen", gauge()),
      Map.entry("container_cpu_usage_seconds_total", counter("cpu")),
      Map.entry("container_cpu_user_seconds_total", counter()),
      Map.entry("container_cpu_system_seconds_total", counter()),
      Map.entry("container_cpu_cfs_periods_total", counter()),
      Map.entry("container_cpu_cfs_throttled_periods_total", counter()),
      Map.entry("container_cpu_cfs_throttled_seconds_total", counter()),
      Map.entry("container_memory_usage_bytes", gauge()),
      Map.entry("container_memory_working_set_bytes", gauge()),
      Map.entry("container_memory_max_usage_bytes", gauge()),
      Map.entry("container_memory_failcnt", counter()),
      Map.entry("container_memory_cache", gauge()),
      Map.entry("container_memory_rss", gauge()),
      Map.entry("container_memory_swap", gauge()),
      Map.entry("container_memory_kernel_usage", gauge()),
      Map.entry("container_memory_mapped_file", gauge()),
      Map.entry("container_memory_total_active_file_bytes", gauge()),
      Map.entry("container_memory_total_inactive_file_bytes", gauge()),
      Map.entry("container_memory_failures_total", counter("failure_type", "scope")),
      Map.entry("container_oom_events_total", counter()),
      Map.entry("container_spec_memory_limit_bytes", gauge()),
      Map.entry("container_spec_memory_reservation_limit_bytes", gauge()),
      Map.entry("container_spec_memory_swap_limit_bytes", gauge()),
      Map.entry("container_spec_cpu_shares", gauge()),
      Map.entry("container_spec_cpu_quota", gauge()),
      Map.entry("container_spec_cpu_period", gauge()),
      Map.entry("container_blkio_device_usage_total", counter("device", "major", "minor", "operation")),
      Map.entry("container_fs_reads_bytes_total", counter("device")),
      Map.entry("container_fs_writes_bytes_total", counter("device")),
      Map.entry("container_fs_reads_total", counter("device")),
      Map.entry("container_fs_writes_total", counter("device")),
      Map.entry("container_fs_usage_bytes", gauge("device")),
      Map.entry("container_fs_limit_bytes", gauge("device")),
      Map.entry("container_fs_inodes_free", gauge("device")),
      Map.entry("container_fs_inodes_total", gauge("device")),
      Map.entry("container_threads", gauge()),
      Map.entry("container_threads_max", gauge()),
      Map.entry("container_processes", gauge()),
      Map.entry("container_file_descriptors", gauge()),
      Map.entry("container_sockets", gauge()),
      Map.entry("container_tasks_state", gauge("state")),
      Map.entry("container_hugetlb_usage_bytes", gauge("pagesize")),
      Map.entry("container_hugetlb_max_usage_bytes", gauge("pagesize")),
      Map.entry("container_hugetlb_failcnt", counter("pagesize")),
      Map.entry("container_start_time_seconds", gauge()),
      Map.entry("container_network_receive_bytes_total", counter("interface")),
      Map.entry("container_network_receive_packets_total", counter("interface")),
      Map.entry("container_network_receive_errors_total", counter("interface")),
      Map.entry("container_network_receive_packets_dropped_total", counter("interface")),
      Map.entry("container_network_transmit_bytes_total", counter("interface")),
      Map.entry("container_network_transmit_packets_total", counter("interface")),
      Map.entry("container_network_transmit_errors_total", counter("interface")),
      Map.entry("container_network_transmit_packets_dropped_total", counter("interface")));

  /**
   * Families that exist only where the host has what they count: block device counters (this
   * kernel lists a device only once the cgroup has a throttle rule or the device did I/O) and
   * hugetlb (where the hugetlb controller reaches the pod; MetricsScrapeTest asks the host).
   */
  static final Set<String> WHERE_THE_HOST_HAS_IT = Set.of("container_blkio_device_usage_total",
      "container_fs_reads_bytes_total", "container_fs_writes_bytes_total", "container_fs_reads_total",
      "container_fs_writes_total", "container_hugetlb_usage_bytes", "container_hugetlb_max_usage_bytes",
      "container_hugetlb_failcnt");

  /**
   * What promtool's linter says of cAdvisor's own names, which Berth keeps because dashboards and
   * alerts query them: two counters without "_total" and a gauge with it. promtool reports the
   * same three on a kubelet's /metrics/cadvisor.
   */
  static final Set<String> CADVISOR_NAME_LINTS = Set.of(
      "container_memory_failcnt counter metrics should have \"_total\" suffix",
      "container_hugetlb_failcnt counter metrics should have \"_total\" suffix",
      "container_fs_inodes_total non-counter metrics should not have \"_total\" suffix");

  static Expected counter(String... labels) {
    return new Expected("counter", List.of(labels));
  }

  static Expected gauge(String... labels) {
    return new Expected("gauge", List.of(labels));
  }

  static PodTestEnv env;
  static int port;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    env = PodTestEnv.start("--metrics-address", "127.0.0.1:" + port);
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  static HttpResponse<byte[]> get(String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"));
    if (headers.length > 0) {
      request.headers(headers);
    }
    HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    return response;
  }

  static ScrapedSamples scrape() throws IOException, InterruptedException {
    return ScrapedSamples.parse(new String(get().body(), StandardCharsets.UTF_8));
  }

  static LinuxContainerConfig limits(long quota, long shares) {
    return LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
        .setCpuQuota(quota).setCpuPeriod(100_000).setCpuShares(shares).setMemoryLimitInBytes(64L << 20)).build();
  }

  @Test
  void everyContainerFamilyHasCadvisorsTypeAndLabelsAndCfsSeriesOnlyUnderAQuota() throws Exception {
    String pod = env.runPod();
    String limited = env.runContainer(pod, env.containerConfig("limited", "sleep", "600")
        .setLinux(limits(50_000, 512)).build());
    String free = env.runContainer(pod, env.containerConfig("free", "sleep", "600").build());

    ScrapedSamples scrape = scrape();

    Set<String> served = new TreeSet<>();
    for (ScrapedSamples.Sample sample : scrape.samples()) {
      if (!sample.family().startsWith("container_")) {
        continue;
      }
      // The Python parser names a counter family without "_total"; the sample keeps the served name.
      String family = CADVISOR.containsKey(sample.name()) ? sample.name() : sample.family();
      Expected expected = CADVISOR.get(family);
      assertTrue(expected != null, "served but not one of cAdvisor's families: " + family);
      assertEquals(expected.type(), sample.type(), family);
      List<String> keys = new ArrayList<>(BASE);
      keys.addAll(expected.labels());
      assertEquals(new TreeSet<>(keys), new TreeSet<>(sample.labels().keySet()), family);
      served.add(family);
    }
    Set<String> missing = new TreeSet<>(CADVISOR.keySet());
    missing.removeAll(served);
    missing.removeAll(WHERE_THE_HOST_HAS_IT);
    assertEquals(Set.of(), missing, "cAdvisor families not served");

    for (String cfs : List.of("container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total",
        "container_cpu_cfs_throttled_seconds_total", "container_spec_cpu_quota")) {
      assertEquals(1, scrape.named(cfs, l -> l.get("name").equals(limited)).size(), cfs + " under a quota");
      assertEquals(List.of(), scrape.named(cfs, l -> l.get("name").equals(free)), cfs + " without a quota");
    }
    String cgroup = env.cgroupRoot() + "/" + pod + "/" + limited;
    HostCgroupFiles.CpuSpec cpu = HostCgroupFiles.ofThisHost().cpuSpec(cgroup);
    assertEquals(50_000, cpu.quota());
    assertEquals(cpu.quota(), scrape.value("container_spec_cpu_quota", l -> l.get("name").equals(limited)));
    assertEquals(cpu.period(), scrape.value("container_spec_cpu_period", l -> l.get("name").equals(limited)));
    assertEquals(cpu.shares(), scrape.value("container_spec_cpu_shares", l -> l.get("name").equals(limited)));
    assertEquals(64L << 20, scrape.value("container_spec_memory_limit_bytes", l -> l.get("name").equals(limited)));
    // Total only by default, as cAdvisor without its per-CPU metrics.
    assertEquals(List.of("total"), scrape.named("container_cpu_usage_seconds_total",
        l -> l.get("name").equals(free)).stream().map(s -> s.labels().get("cpu")).toList());
    // Served under cAdvisor's exact name (Python's parser reports the sample with "_total" added).
    String text = new String(get().body(), StandardCharsets.UTF_8);
    assertTrue(text.contains("\n# TYPE container_memory_failcnt counter\ncontainer_memory_failcnt{"), "failcnt");
  }

  @Test
  void processesDescriptorsSocketsAndTaskStatesMatchProc() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("procs", "sh", "-c",
        "nc -l -p 7777 & sleep 600 & wait").build());
    String cgroup = env.cgroupRoot() + "/" + pod + "/" + id;
    Path procs = HostCgroupFiles.ofThisHost().procs(cgroup);
    // Once settled (all three idle, nc listening), /proc reads the same before and after a scrape;
    // a scrape taken while the shell was still starting them is taken again.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long[] expected;
    ScrapedSamples scrape;
    while (true) {
      expected = countFromProc(Files.readAllLines(procs));
      scrape = scrape();
      long[] after = countFromProc(Files.readAllLines(procs));
      boolean settled = expected != null && java.util.Arrays.equals(expected, after) && expected[0] == 3
          && expected[2] == 1 && expected[3] == 3;
      if (settled || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(200);
    }

    assertTrue(expected != null, "the container's processes never settled");
    assertEquals(3, expected[0], "sh, nc and sleep");
    assertEquals(expected[0], scrape.value("container_processes", l -> l.get("name").equals(id)));
    assertEquals(expected[1], scrape.value("container_file_descriptors", l -> l.get("name").equals(id)));
    assertEquals(1, expected[2], "nc's listening socket");
    assertEquals(expected[2], scrape.value("container_sockets", l -> l.get("name").equals(id)));
    assertEquals(3, expected[3], "all three asleep");
    assertEquals(expected[3], scrape.value("container_tasks_state",
        l -> l.get("name").equals(id) && l.get("state").equals("sleeping")));
    assertEquals(0, scrape.value("container_tasks_state",
        l -> l.get("name").equals(id) && l.get("state").equals("stopped")));
    // The pod's series count what runs in the pod cgroup itself, as cAdvisor's: not its containers'.
    Path podProcs = HostCgroupFiles.ofThisHost().procs(env.cgroupRoot() + "/" + pod);
    assertEquals(Files.readAllLines(podProcs).size(), scrape.value("container_processes",
        l -> l.get("id").equals(env.cgroupRoot() + "/" + pod)));
  }

  /**
   * Processes, descriptors, sockets and sleeping threads of these pids, as /proc shows them; null
   * while they are still changing (a descriptor or process gone between listing and reading it).
   */
  static long[] countFromProc(List<String> pids) throws IOException {
    try {
      return countFromProcOnce(pids);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  private static long[] countFromProcOnce(List<String> pids) throws IOException {
    long[] counts = new long[4];
    for (String pid : pids) {
      counts[0]++;
      try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", pid, "fd"))) {
        for (Path fd : fds) {
          counts[1]++;
          if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
            counts[2]++;
          }
        }
      }
      try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", pid, "task"))) {
        for (Path task : tasks) {
          String stat = Files.readString(task.resolve("stat"));
          if (stat.charAt(stat.lastIndexOf(')') + 2) == 'S') {
            counts[3]++;
          }
        }
      }
    }
    return counts;
  }

  @Test
  void filesystemSeriesNameTheDeviceAndItsSizeAsStatfsShowsIt() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("fs", "sleep", "600").build());
    ScrapedSamples scrape = scrape();

    Path root = env.daemon().root();
    String source = run("findmnt", "-n", "-o", "SOURCE", "--target", root.toString());
    // statfs as coreutils' stat reports it: total blocks, block size, total and free inodes.
    String[] statfs = run("stat", "-f", "-c", "%b %S %c %d", root.toString()).split(" ");
    ScrapedSamples.Sample usage = scrape.named("container_fs_usage_bytes", l -> l.get("name").equals(id)).getFirst();
    assertEquals(source, usage.labels().get("device"), "the device, not the mount point");
    assertEquals(Long.parseLong(statfs[0]) * Long.parseLong(statfs[1]), scrape.value("container_fs_limit_bytes",
        l -> l.get("name").equals(id) && l.get("device").equals(source)));
    assertEquals(Long.parseLong(statfs[2]), scrape.value("container_fs_inodes_total",
        l -> l.get("name").equals(id) && l.get("device").equals(source)));
    double inodesFree = scrape.value("container_fs_inodes_free", l -> l.get("name").equals(id));
    assertTrue(inodesFree > 0 && inodesFree <= Long.parseLong(statfs[2]), "free inodes " + inodesFree);
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0, String.join(" ", command) + ": " + out);
    return out;
  }

  @Test
  void aStoppedContainersSeriesEndWhileItIsNotYetRemoved() throws Exception {
    String pod = env.runPod();
    String brief = env.runContainer(pod, env.containerConfig("brief", "sh", "-c", "sleep 1").build());
    String kept = env.runContainer(pod, env.containerConfig("kept", "sleep", "600").build());
    assertFalse(scrape().named("container_memory_usage_bytes", l -> l.get("name").equals(brief)).isEmpty());

    env.awaitExit(brief);
    ScrapedSamples after = scrape();

    assertEquals(dev.berth.cri.v1.ContainerState.CONTAINER_EXITED, env.status(brief).getState(), "not removed");
    assertEquals(List.of(), after.samples().stream().filter(s -> brief.equals(s.labels().get("name"))).toList());
    assertEquals(1, after.named("container_memory_usage_bytes", l -> l.get("name").equals(kept)).size());
    assertEquals(1, after.named("container_memory_usage_bytes",
        l -> l.get("id").equals(env.cgroupRoot() + "/" + pod)).size(), "the pod's own series stay");
  }

  @Test
  void aContainerCreatedByImageIdShowsTheNameTheUserWrote() throws Exception {
    String imageId = env.daemon().client().images().imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(PodTestEnv.IMAGE)).build()).getImage().getId();
    String userName = "busybox:berth-test";
    String pod = env.runPod();
    // As the kubelet creates it: the image id, and the pod spec's image in user_specified_image.
    String id = env.runContainer(pod, env.containerConfig("byid", "sleep", "600")
        .setImage(ImageSpec.newBuilder().setImage(imageId).setUserSpecifiedImage(userName)).build());

    ContainerStatus status = env.status(id);
    assertEquals(userName, status.getImage().getImage());
    assertEquals(userName, status.getImage().getUserSpecifiedImage());
    assertEquals(imageId, status.getImageId());
    String repoDigest = env.daemon().client().images().imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(imageId)).build()).getImage().getRepoDigests(0);
    assertEquals(repoDigest, status.getImageRef(), "the repo digest, as containerd answers");
    dev.berth.cri.v1.Container listed = env.runtime().listContainers(ListContainersRequest.getDefaultInstance())
        .getContainersList().stream().filter(c -> c.getId().equals(id)).findFirst().orElseThrow();
    assertEquals(userName, listed.getImage().getImage());
    ScrapedSamples scrape = scrape();
    Set<String> images = scrape.samples().stream().filter(s -> id.equals(s.labels().get("name")))
        .map(s -> s.labels().get("image")).collect(Collectors.toSet());
    assertEquals(Set.of(userName), images);

    // Without user_specified_image (crictl's way), the image as the request named it.
    String plain = env.runContainer(pod, env.containerConfig("plain", "sleep", "600").build());
    assertEquals(PodTestEnv.IMAGE, env.status(plain).getImage().getImage());
    assertEquals("", env.status(plain).getImage().getUserSpecifiedImage());
  }

  @Test
  void theBodyIsGzippedWhenTheScraperAcceptsGzip() throws Exception {
    String pod = env.runPod();
    env.runContainer(pod, env.containerConfig("zipped", "sleep", "600").build());

    HttpResponse<byte[]> zipped = get("Accept-Encoding", "gzip");
    HttpResponse<byte[]> plain = get();
    HttpResponse<byte[]> refused = get("Accept-Encoding", "gzip;q=0, identity");

    assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
    assertEquals("", plain.headers().firstValue("Content-Encoding").orElse(""));
    assertEquals("", refused.headers().firstValue("Content-Encoding").orElse(""));
    String unzipped;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
      unzipped = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Set<String> zippedFamilies = families(ScrapedSamples.parse(unzipped));
    assertEquals(families(ScrapedSamples.parse(new String(plain.body(), StandardCharsets.UTF_8))), zippedFamilies);
    assertTrue(zippedFamilies.contains("container_cpu_usage_seconds"), zippedFamilies.toString());
    assertTrue(zipped.body().length * 4 < plain.body().length,
        "gzip " + zipped.body().length + " bytes, plain " + plain.body().length);
  }

  @Test
  void everySeriesTheDashboardQueriesIsInAScrapeOfANodeWithPods() throws Exception {
    String pod = env.runPod();
    env.runContainer(pod, env.containerConfig("charted", "sh", "-c", "while :; do :; done")
        .setLinux(limits(10_000, 256)).build());
    Thread.sleep(300);
    String text = new String(get().body(), StandardCharsets.UTF_8);
    Set<String> names = text.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
        .map(line -> line.substring(0, line.indexOf('{') > 0 ? line.indexOf('{') : line.indexOf(' ')))
        .collect(Collectors.toSet());
    // The block I/O panels need device counters, which this kernel keeps only for cgroups with a
    // throttle rule (MetricsScrapeTest sets one); hugetlb only where the controller reaches the pod.
    Set<String> hostDependent = new HashSet<>(WHERE_THE_HOST_HAS_IT);
    hostDependent.add("berth_container_blkio_device_ios_total");
    List<String> empty = DashboardTest.queriedNames().stream().distinct()
        .filter(name -> !names.contains(name) && !hostDependent.contains(name)).toList();
    assertEquals(List.of(), empty, "dashboard queries with no series on a node with pods");
  }

  static Set<String> families(ScrapedSamples scrape) {
    return scrape.samples().stream().map(ScrapedSamples.Sample::family).collect(Collectors.toCollection(HashSet::new));
  }

  @Test
  void promtoolFindsNothingButCadvisorsOwnNamesAndCountersStartAtZero() throws Exception {
    String pod = env.runPod();
    env.runContainer(pod, env.containerConfig("linted", "sleep", "600").setLinux(limits(20_000, 256)).build());
    byte[] body = get().body();

    Promtool.Result result = Promtool.checkMetrics(body);

    Set<String> unexpected = new TreeSet<>(result.problems());
    unexpected.removeAll(CADVISOR_NAME_LINTS);
    assertEquals(Set.of(), unexpected, "promtool check metrics (exit " + result.exitCode() + ")");
    assertTrue(result.exitCode() == 0 || result.exitCode() == 3, "3 is lint only, 1 would be a parse error");
    ScrapedSamples scrape = ScrapedSamples.parse(new String(body, StandardCharsets.UTF_8));
    // Every outcome's pull counter is there at 0 before the first pull (this daemon pulls nothing).
    assertEquals(io.grpc.Status.Code.values().length, scrape.named("berth_image_pulls_total", l -> true).size());
    assertEquals(0, scrape.value("berth_image_pulls_total", l -> l.get("code").equals("OK")));
    // A handful of latency buckets per method and code.
    assertEquals(CallMetricsInterceptor.BUCKETS.size() + 1, scrape.named("berth_grpc_server_calls_seconds_bucket",
        l -> l.get("method").equals("RunPodSandbox") && l.get("code").equals("OK")).size());
    assertEquals(1, scrape.named("process_cpu_seconds_total", l -> true).size());
  }
}
