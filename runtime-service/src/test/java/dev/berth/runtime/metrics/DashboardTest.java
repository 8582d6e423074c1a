package dev.berth.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** deploy/grafana-dashboard.json queries only series that Berth serves, under the names it serves them. */
class DashboardTest {

  private static final Path DASHBOARD = Path.of("..", "deploy", "grafana-dashboard.json");
  /** The daemon's own meters as micrometer-registry-prometheus names them. */
  private static final Set<String> DAEMON = Set.of("berth_grpc_server_calls_seconds_count",
      "berth_grpc_server_calls_seconds_bucket", "berth_containers", "berth_pods", "berth_image_pulls_total",
      "jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_gc_pause_seconds_sum");
  /** A metric name directly before a label selector. */
  private static final Pattern SERIES = Pattern.compile("([a-z_:][a-z0-9_:]*)\\{");

  @Test
  void everyQueriedSeriesIsOneBerthServes() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    Set<String> served = ContainerFamilies.ALL.stream().map(Family::name).collect(Collectors.toSet());
    List<String> queried = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = SERIES.matcher(target.get("expr").asText());
        while (m.find()) {
          queried.add(m.group(1));
        }
      }
    }
    assertTrue(queried.size() > 20, queried.toString());
    assertEquals(List.of(), queried.stream().filter(name -> !served.contains(name) && !DAEMON.contains(name))
        .distinct().toList(), "queried but not served");
    assertEquals("berth-overview", dashboard.get("uid").asText());
  }

  /** The dashboard's queries, each metric name directly before a label selector. */
  static List<String> queriedNames() throws java.io.IOException {
    List<String> queried = new ArrayList<>();
    for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = SERIES.matcher(target.get("expr").asText());
        while (m.find()) {
          queried.add(m.group(1));
        }
      }
    }
    return queried;
  }

  @Test
  void countersAreQueriedThroughRateOrIncreaseNeverDelta() throws Exception {
    // delta() is for gauges: over a counter it shows a reset as a huge negative step.
    Set<String> counters = ContainerFamilies.ALL.stream().filter(f -> f.type() == Family.Type.COUNTER)
        .map(Family::name).collect(Collectors.toSet());
    Pattern delta = Pattern.compile("delta\\(([a-z_:][a-z0-9_:]*)\\{");
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = delta.matcher(target.get("expr").asText());
        while (m.find()) {
          assertTrue(!counters.contains(m.group(1)), "delta() over the counter " + m.group(1));
        }
      }
    }
  }
}
