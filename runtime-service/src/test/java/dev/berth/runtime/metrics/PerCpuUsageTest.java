package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.cgroup.CgroupVersion;
import dev.berth.runtime.testing.HostCgroupFiles;
import dev.berth.runtime.testing.PodTestEnv;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** metrics_per_cpu_usage = true: container_cpu_usage_seconds_total per CPU, as cAdvisor's per-CPU metrics. */
@Tag("integration")
@Timeout(120)
class PerCpuUsageTest {

  @Test
  void usageIsServedPerCpuUnderCadvisorsNameAndAddsUpToTheCgroupsTotal() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    try (PodTestEnv env = PodTestEnv.startWithTopLevelConfig("metrics_per_cpu_usage = true",
        "--metrics-address", "127.0.0.1:" + port);
        HttpClient http = HttpClient.newHttpClient()) {
      String pod = env.runPod();
      String id = env.runContainer(pod, env.containerConfig("spin", "sh", "-c", "while :; do :; done").build());
      Thread.sleep(500);
      HostCgroupFiles host = HostCgroupFiles.ofThisHost();
      String cgroup = env.cgroupRoot() + "/" + pod + "/" + id;
      long before = host.cpuUsageNanos(cgroup);
      String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      long after = host.cpuUsageNanos(cgroup);

      List<ScrapedSamples.Sample> perCpu = ScrapedSamples.parse(body).named("container_cpu_usage_seconds_total",
          l -> l.get("name").equals(id));
      if (host.version() == CgroupVersion.V2) {
        // v2 keeps no per-CPU split: the total alone, as cAdvisor serves it there.
        assertEquals(List.of("total"), perCpu.stream().map(s -> s.labels().get("cpu")).toList());
      } else {
        Path cpuacct = PodTestEnv.cgroupDir("cpuacct", cgroup);
        int cpus = Files.readString(cpuacct.resolve("cpuacct.usage_percpu")).trim().split(" ").length;
        assertEquals(IntStream.range(0, cpus).mapToObj(i -> String.format("cpu%02d", i)).toList(),
            perCpu.stream().map(s -> s.labels().get("cpu")).sorted().toList(), "one series per CPU, no total");
      }
      double sum = perCpu.stream().mapToDouble(ScrapedSamples.Sample::value).sum();
      assertTrue(sum >= before * 1e-9 - 1e-9 && sum <= after * 1e-9 + 1e-9,
          sum + " not within [" + before * 1e-9 + ", " + after * 1e-9 + "]");
    }
  }
}
