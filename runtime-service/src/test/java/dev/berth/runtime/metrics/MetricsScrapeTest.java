package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ListContainerStatsRequest;
import dev.berth.cri.v1.ListMetricDescriptorsRequest;
import dev.berth.cri.v1.ListPodSandboxMetricsRequest;
import dev.berth.cri.v1.Metric;
import dev.berth.cri.v1.MetricDescriptor;
import dev.berth.cri.v1.PodSandboxMetrics;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.runtime.cgroup.CgroupVersion;
import dev.berth.runtime.testing.HostCgroupFiles;
import dev.berth.runtime.testing.PodTestEnv;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /metrics of a real daemon with real containers, parsed as Prometheus text and checked against cgroup files. */
@Tag("integration")
@Timeout(120)
class MetricsScrapeTest {

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

  static String scrapeText() throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    return response.body();
  }

  /** The hugetlb page sizes of this host, named as the kernel names them in cgroup files, sorted. */
  static List<String> hostHugepageSizes() throws IOException {
    try (var entries = Files.list(Path.of("/sys/kernel/mm/hugepages"))) {
      return entries.map(p -> p.getFileName().toString())
          .map(n -> Long.parseLong(n.substring("hugepages-".length(), n.length() - "kB".length())))
          .map(kb -> kb >= 1 << 20 ? (kb >> 20) + "GB" : kb >= 1 << 10 ? (kb >> 10) + "MB" : kb + "KB")
          .sorted().toList();
    }
  }

  /** The host's cgroup files, v1 or v2, as the daemon reads them. */
  static final HostCgroupFiles HOST = HostCgroupFiles.ofThisHost();

  static long readLong(Path file) {
    try {
      return Long.parseLong(Files.readString(file).trim());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** One scrape between two reads of each file; asserts every scraped value lies within its file's two reads. */
  static ScrapedSamples scrapeBetween(Map<String, LongSupplier> files, Map<String, java.util.function.ToDoubleFunction<ScrapedSamples>> values,
      double scale) throws Exception {
    return scrapeBetween(files, values, scale, Map.of());
  }

  /** The same, with {@code slack} (in the file's units) allowed beyond either read of the files it names. */
  static ScrapedSamples scrapeBetween(Map<String, LongSupplier> files, Map<String, java.util.function.ToDoubleFunction<ScrapedSamples>> values,
      double scale, Map<String, Long> slack) throws Exception {
    Map<String, Long> before = new java.util.HashMap<>();
    files.forEach((what, file) -> before.put(what, file.getAsLong()));
    ScrapedSamples scrape = ScrapedSamples.parse(scrapeText());
    for (var entry : files.entrySet()) {
      long after = entry.getValue().getAsLong();
      double reported = values.get(entry.getKey()).applyAsDouble(scrape);
      long allowed = slack.getOrDefault(entry.getKey(), 0L);
      double low = (Math.min(before.get(entry.getKey()), after) - allowed) * scale;
      double high = (Math.max(before.get(entry.getKey()), after) + allowed) * scale;
      assertTrue(reported >= low - 1e-9 && reported <= high + 1e-9,
          entry.getKey() + ": " + reported + " not within [" + low + ", " + high + "]");
    }
    return scrape;
  }

  @Test
  void containerSeriesCarryCadvisorNamesAndLabelsAndEqualTheCgroupFiles() throws Exception {
    String pod = env.runPod();
    String burner = env.runContainer(pod, env.containerConfig("burn", "sh", "-c", "while :; do :; done").build());
    String holder = env.runContainer(pod, env.containerConfig("hold", "sh", "-c",
        "head -c 20971520 /dev/zero > /dev/shm/fill; for i in 1 2 3 4; do sleep 600 & done; wait").build());
    Thread.sleep(800);
    String burnCgroup = env.cgroupRoot() + "/" + pod + "/" + burner;
    String holdCgroup = env.cgroupRoot() + "/" + pod + "/" + holder;

    ScrapedSamples scrape = scrapeBetween(Map.of(
            "cpu", () -> HOST.cpuUsageNanos(burnCgroup)),
        Map.of("cpu", s -> s.value("container_cpu_usage_seconds_total",
            l -> l.get("name").equals(burner) && l.get("cpu").equals("total"))), 1e-9);
    scrapeBetween(Map.of("memory", () -> HOST.memoryUsage(holdCgroup),
            "threads", () -> HOST.pidsCurrent(holdCgroup)),
        Map.of("memory", s -> s.value("container_memory_usage_bytes", l -> l.get("name").equals(holder)),
            "threads", s -> s.value("container_threads", l -> l.get("name").equals(holder))), 1,
        Map.of("memory", HostCgroupFiles.MEMORY_CHARGE_SLACK));

    Map<String, String> labels = scrape.named("container_memory_working_set_bytes",
        l -> l.get("name").equals(holder)).getFirst().labels();
    assertEquals(Map.of("id", holdCgroup, "name", holder, "image", PodTestEnv.IMAGE, "container", "hold",
        "pod", labels.get("pod"), "namespace", "berth-test"), labels);
    assertTrue(labels.get("pod").startsWith("pod"), labels.toString());
    assertEquals("counter", scrape.named("container_cpu_usage_seconds_total", l -> true).getFirst().type());
    assertEquals("gauge", scrape.named("container_memory_working_set_bytes", l -> true).getFirst().type());
    // The pod's own cgroup, with container="" as cAdvisor gives it, and its network.
    assertTrue(scrape.value("container_memory_usage_bytes", l -> l.get("id").equals(env.cgroupRoot() + "/" + pod))
        >= 20 << 20);
    assertTrue(scrape.value("container_network_transmit_bytes_total",
        l -> l.get("id").equals(env.cgroupRoot() + "/" + pod) && l.get("interface").equals("eth0")) > 0);
    // Hugetlb wherever this host has the controller: its own v1 hierarchy, the v2 mount of a
    // hybrid layout (delegated down to the pod by the daemon), or v2. A host without it gets no series.
    List<String> hugetlbSeries = scrape.named("container_hugetlb_usage_bytes", l -> l.get("name").equals(holder))
        .stream().map(s -> s.labels().get("pagesize")).sorted().toList();
    Path hugetlbDir = HOST.hugetlbDir(holdCgroup).orElse(null);
    if (hugetlbDir == null) {
      assertEquals(List.of(), hugetlbSeries, "this host has no hugetlb controller, so no hugetlb series");
    } else {
      // One series per page size this host has (2MB only on many nodes, 2MB and 1GB on others).
      List<String> pageSizes = hostHugepageSizes();
      assertEquals(pageSizes, hugetlbSeries);
      for (String size : pageSizes) {
        assertEquals(readLong(hugetlbDir.resolve(HOST.hugetlbUsageFile(size))), scrape.value(
            "container_hugetlb_usage_bytes", l -> l.get("name").equals(holder) && l.get("pagesize").equals(size)));
        assertEquals(0, scrape.value("berth_container_hugetlb_limit_bytes",
            l -> l.get("name").equals(holder) && l.get("pagesize").equals(size)), "no limit set for " + size);
      }
    }
    // The daemon's own meters on the same endpoint.
    assertTrue(scrape.value("berth_grpc_server_calls_seconds_count",
        l -> l.get("method").equals("RunPodSandbox") && l.get("code").equals("OK")) >= 1);
    assertTrue(!scrape.named("berth_grpc_server_calls_seconds_bucket", l -> l.get("method").equals("StartContainer"))
        .isEmpty());
    assertTrue(scrape.value("berth_containers", l -> l.get("state").equals("running")) >= 2);
    assertTrue(scrape.value("berth_pods", l -> l.get("state").equals("ready")) >= 1);
    assertTrue(!scrape.named("jvm_memory_used_bytes", l -> true).isEmpty());
    // The dashboard's GC panel: pauses per collector, minor and major.
    assertTrue(!scrape.named("jvm_gc_pause_seconds_sum", l -> l.get("action").equals("end of minor GC")).isEmpty());
    assertTrue(!scrape.named("jvm_gc_pause_seconds_count", l -> l.get("action").equals("end of major GC")).isEmpty());
  }

  @Test
  void blockIoOfAnFsyncedWriteMatchesTheBlkioCgroup() throws Exception {
    String pod = env.runPod();
    String writer = env.runContainer(pod, env.containerConfig("fsync", "sh", "-c",
        "sleep 1; dd if=/dev/zero of=/blob bs=65536 count=64 conv=fsync; echo done; sleep 600").build());
    // This kernel counts v1 blkio only for cgroups with a throttle rule: give it a limit it never reaches.
    long dev = (long) Files.getAttribute(env.dir(), "unix:dev");
    String device = (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL)) + ":" + ((dev & 0xff) | ((dev >>> 12) & ~0xffL));
    String cgroup = env.cgroupRoot() + "/" + pod + "/" + writer;
    if (HOST.version() != CgroupVersion.V2) {
      Files.writeString(PodTestEnv.cgroupDir("blkio", cgroup).resolve("blkio.throttle.write_bps_device"),
          device + " 1099511627776");
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!env.logLines(env.status(writer)).contains("done") && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    ScrapedSamples scrape = scrapeBetween(Map.of("write", () -> HOST.bytesWritten(cgroup, device)),
        Map.of("write", s -> s.value("container_blkio_device_usage_total",
            l -> l.get("name").equals(writer) && l.get("operation").equals("Write"))), 1);
    double written = scrape.value("container_fs_writes_bytes_total", l -> l.get("name").equals(writer));
    assertTrue(written >= 4 << 20, "fsync wrote 4 MiB, blkio says " + written);
  }

  @Test
  void removedContainersSeriesDisappear() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("brief", "sleep", "600").build());
    assertTrue(!ScrapedSamples.parse(scrapeText()).named("container_memory_usage_bytes",
        l -> l.get("name").equals(id)).isEmpty());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    ScrapedSamples after = ScrapedSamples.parse(scrapeText());
    assertEquals(List.of(), after.samples().stream().filter(s -> id.equals(s.labels().get("name"))).toList());
  }

  @Test
  void criMetricsUseTheSameNamesLabelsAndValues() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("metered", "sleep", "600").build());
    List<MetricDescriptor> descriptors = env.runtime().listMetricDescriptors(
        ListMetricDescriptorsRequest.getDefaultInstance()).getDescriptorsList();
    MetricDescriptor workingSet = descriptors.stream()
        .filter(d -> d.getName().equals("container_memory_working_set_bytes")).findFirst().orElseThrow();
    assertEquals(List.of("id", "name", "image", "container", "pod", "namespace"), workingSet.getLabelKeysList());
    PodSandboxMetrics metrics = env.runtime().listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance())
        .getPodMetricsList().stream().filter(m -> m.getPodSandboxId().equals(pod)).findFirst().orElseThrow();
    List<Metric> containerMetrics = metrics.getContainerMetricsList().stream()
        .filter(c -> c.getContainerId().equals(id)).findFirst().orElseThrow().getMetricsList();
    Metric threads = containerMetrics.stream().filter(m -> m.getName().equals("container_threads")).findFirst()
        .orElseThrow();
    assertEquals(1, threads.getValue().getValue());
    for (Metric metric : containerMetrics) {
      MetricDescriptor descriptor = descriptors.stream().filter(d -> d.getName().equals(metric.getName()))
          .findFirst().orElseThrow();
      assertEquals(descriptor.getLabelKeysCount(), metric.getLabelValuesCount(), metric.getName());
    }
  }

  @Test
  void scrapeAndListContainerStatsTimes() throws Exception {
    String pod = env.runPod();
    for (int i = 0; i < 3; i++) {
      env.runContainer(pod, env.containerConfig("timed" + i, "sleep", "600").build());
    }
    int containers = env.runtime().listContainerStats(ListContainerStatsRequest.getDefaultInstance()).getStatsCount();
    long scrape = Long.MAX_VALUE;
    long list = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      long t0 = System.nanoTime();
      scrapeText();
      long t1 = System.nanoTime();
      env.runtime().listContainerStats(ListContainerStatsRequest.getDefaultInstance());
      long t2 = System.nanoTime();
      scrape = Math.min(scrape, t1 - t0);
      list = Math.min(list, t2 - t1);
    }
    System.out.printf("berth-timing: %d containers: best of 20 scrape %.2f ms, ListContainerStats %.2f ms%n",
        containers, scrape / 1e6, list / 1e6);
    assertTrue(scrape < 1_000_000_000L && list < 1_000_000_000L);
  }

  /**
   * The spec limits are kept between scrapes (read once per cgroup); an update through CRI must
   * still show at the next scrape, for a container and for its pod, as the cgroup files hold them.
   */
  @Test
  void specLimitsFollowUpdatesOfTheContainerAndThePod() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("resized", "sleep", "600").build());
    String cgroup = env.cgroupRoot() + "/" + pod + "/" + id;
    String podCgroup = env.cgroupRoot() + "/" + pod;
    ScrapedSamples first = ScrapedSamples.parse(scrapeText());
    assertEquals(HOST.cpuSpec(cgroup).shares(), first.value("container_spec_cpu_shares", l -> l.get("id").equals(cgroup)));
    assertEquals(List.of(), first.named("container_spec_cpu_quota", l -> l.get("id").equals(cgroup)), "no quota yet");

    env.runtime().updateContainerResources(dev.berth.cri.v1.UpdateContainerResourcesRequest.newBuilder()
        .setContainerId(id).setLinux(dev.berth.cri.v1.LinuxContainerResources.newBuilder()
            .setCpuShares(512).setCpuQuota(40_000).setCpuPeriod(100_000)).build());
    ScrapedSamples afterContainer = ScrapedSamples.parse(scrapeText());
    HostCgroupFiles.CpuSpec container = HOST.cpuSpec(cgroup);
    assertEquals(40_000, container.quota());
    assertEquals(container.quota(), afterContainer.value("container_spec_cpu_quota", l -> l.get("id").equals(cgroup)));
    assertEquals(container.shares(), afterContainer.value("container_spec_cpu_shares", l -> l.get("id").equals(cgroup)));
    assertTrue(container.shares() != first.value("container_spec_cpu_shares", l -> l.get("id").equals(cgroup)),
        "the update changed the shares");

    double podSharesBefore = afterContainer.value("container_spec_cpu_shares", l -> l.get("id").equals(podCgroup));
    env.runtime().updatePodSandboxResources(dev.berth.cri.v1.UpdatePodSandboxResourcesRequest.newBuilder()
        .setPodSandboxId(pod).setResources(dev.berth.cri.v1.LinuxContainerResources.newBuilder()
            .setCpuShares(3072)).build());
    ScrapedSamples afterPod = ScrapedSamples.parse(scrapeText());
    long podShares = HOST.cpuSpec(podCgroup).shares();
    assertTrue(podShares != podSharesBefore, "the update changed the pod's shares");
    assertEquals(podShares, afterPod.value("container_spec_cpu_shares", l -> l.get("id").equals(podCgroup)));
  }
}
