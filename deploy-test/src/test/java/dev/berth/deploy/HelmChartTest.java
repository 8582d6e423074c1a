package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.config.ConfigLoader;
import dev.berth.runtime.config.LogLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** helm/berth, linted and rendered by Helm's own code (helm-java), with its values schema. */
class HelmChartTest {

  private static final Path CHART = Scripts.CHECKOUT.resolve("helm/berth");
  private static final ObjectMapper YAML = new YAMLMapper();

  @TempDir
  Path dir;

  private static List<JsonNode> render(UnaryOperator<TemplateCommand> values) throws IOException {
    String manifests = values.apply(new Helm(CHART).template().withName("b").withNamespace("kube-system")).call();
    List<JsonNode> objects = new ArrayList<>();
    try (var parser = new YAMLFactory().createParser(manifests)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode object = it.next();
        if (object != null && !object.isEmpty()) {
          objects.add(object);
        }
      }
    }
    return objects;
  }

  private static List<String> kinds(List<JsonNode> objects) {
    return objects.stream().map(o -> o.path("kind").asText()).sorted().toList();
  }

  private static JsonNode only(List<JsonNode> objects, String kind) {
    List<JsonNode> matches = objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    assertEquals(1, matches.size(), kind + " in " + kinds(objects));
    return matches.getFirst();
  }

  private BerthConfig loadedConfig(List<JsonNode> objects) throws IOException {
    String toml = only(objects, "ConfigMap").path("data").path("config.toml").asText();
    return ConfigLoader.load(Files.writeString(dir.resolve("config.toml"), toml));
  }

  @Test
  void chartLintsClean() {
    LintResult result = new Helm(CHART).lint().strict().call();

    assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
  }

  @Test
  void defaultsRenderTheDaemonSetRuntimeClassServiceAndConfig() throws IOException {
    List<JsonNode> objects = render(t -> t);

    assertEquals(List.of("ConfigMap", "DaemonSet", "RuntimeClass", "RuntimeClass", "RuntimeClass", "Service"),
        kinds(objects));
    assertEquals(Map.of("berth", "runc", "berth-runc", "runc", "berth-crun", "crun"), runtimeClasses(objects));
    JsonNode pod = only(objects, "DaemonSet").path("spec").path("template").path("spec");
    assertTrue(pod.path("hostNetwork").asBoolean());
    assertTrue(pod.path("hostPID").asBoolean());
    JsonNode install = pod.path("initContainers").get(0);
    assertTrue(install.path("securityContext").path("privileged").asBoolean());
    assertEquals("/", pod.path("volumes").get(0).path("hostPath").path("path").asText());
    assertEquals(9767, only(objects, "Service").path("spec").path("ports").get(0).path("port").asInt());
    String script = only(objects, "ConfigMap").path("data").path("install-on-host.sh").asText();
    assertTrue(script.contains("/release/deploy/install --root /host --config /berth-config/config.toml"), script);
    assertTrue(script.contains("nsenter -t 1 -m -u -i -n -p -- systemctl restart berth.service"), script);
    assertTrue(script.indexOf("berth aot-train --if-stale") < script.indexOf("systemctl restart berth.service"),
        "the AOT cache is trained on the node before the restart: " + script);
    BerthConfig config = loadedConfig(objects);
    assertEquals(LogLevel.parse("info", "test"), config.logLevel());
    assertEquals("0.0.0.0:9767", config.metricsAddress());
    assertEquals(Map.of("runc", Path.of("/usr/sbin/runc"), "crun", Path.of("/usr/bin/crun")),
        config.runtime().handlers());
  }

  @Test
  void runtimeClassesFollowTheRuntimeHandlers() throws IOException {
    Path values = Files.writeString(dir.resolve("values.yaml"), """
        runtimeHandlers: {runc: null, crun: null, kata: /opt/kata/bin/kata-runtime}
        runtimeClass: {handler: kata}
        """);

    List<JsonNode> objects = render(t -> t.withValuesFile(values));

    assertEquals(Map.of("berth", "kata", "berth-kata", "kata"), runtimeClasses(objects));
    assertEquals(Map.of("kata", Path.of("/opt/kata/bin/kata-runtime")), loadedConfig(objects).runtime().handlers());
    assertFalse(only(objects, "ConfigMap").path("data").path("install-on-host.sh").asText().contains(" crun "));
  }

  @Test
  void aRuntimeClassForAHandlerThatIsNotConfiguredIsRefused() {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> render(t -> t.set("runtimeClass.handler", "kata")));

    assertTrue(refused.getMessage().contains("runtimeClass.handler \"kata\" is not one of runtimeHandlers (crun, runc)"),
        refused.getMessage());
  }

  private static Map<String, String> runtimeClasses(List<JsonNode> objects) {
    Map<String, String> classes = new java.util.HashMap<>();
    objects.stream().filter(o -> o.path("kind").asText().equals("RuntimeClass"))
        .forEach(o -> classes.put(o.path("metadata").path("name").asText(), o.path("handler").asText()));
    return classes;
  }

  @Test
  void nonDefaultValuesReachTheObjectsAndTheNodeConfig() throws IOException {
    Path values = Files.writeString(dir.resolve("values.yaml"), """
        logLevel: debug
        registry:
          mirrors:
            docker.io: ["https://mirror.example.com"]
          plainHttpHosts: ["registry.local:5000"]
        cni:
          install: true
          subnet: 10.99.0.0/16
        installHostPackages: false
        runtimeClass:
          name: berth-fast
        metrics:
          port: 9800
          serviceMonitor:
            enabled: true
            labels: {release: kube-prometheus}
        nodeSelector:
          berth.dev/runtime: "true"
        resources:
          limits: {memory: 64Mi}
        """);

    List<JsonNode> objects = render(t -> t.withValuesFile(values));

    assertEquals(List.of("ConfigMap", "DaemonSet", "RuntimeClass", "RuntimeClass", "RuntimeClass", "Service",
        "ServiceMonitor"), kinds(objects));
    JsonNode monitor = only(objects, "ServiceMonitor");
    assertEquals("kube-prometheus", monitor.path("metadata").path("labels").path("release").asText());
    assertEquals("/metrics", monitor.path("spec").path("endpoints").get(0).path("path").asText());
    assertEquals(Map.of("berth-fast", "runc", "berth-fast-runc", "runc", "berth-fast-crun", "crun"),
        runtimeClasses(objects));
    JsonNode pod = only(objects, "DaemonSet").path("spec").path("template").path("spec");
    assertEquals("true", pod.path("nodeSelector").path("berth.dev/runtime").asText());
    assertEquals("64Mi", pod.path("containers").get(0).path("resources").path("limits").path("memory").asText());
    assertEquals(9800, only(objects, "Service").path("spec").path("ports").get(0).path("port").asInt());
    JsonNode data = only(objects, "ConfigMap").path("data");
    assertTrue(data.path("10-berth-bridge.conflist").asText().contains("\"10.99.0.0/16\""));
    assertFalse(data.path("install-on-host.sh").asText().contains("apt-get"));
    BerthConfig config = loadedConfig(objects);
    assertEquals(LogLevel.parse("debug", "test"), config.logLevel());
    assertEquals("0.0.0.0:9800", config.metricsAddress());
    assertEquals(Map.of("docker.io", List.of("https://mirror.example.com")), config.registry().mirrors());
    assertEquals(List.of("registry.local:5000"), config.registry().plainHttpHosts());
  }

  @Test
  void metricsOffRendersNoServiceAndTurnsTheEndpointOff() throws IOException {
    List<JsonNode> objects = render(t -> t.set("metrics.enabled", false).set("metrics.serviceMonitor.enabled", true));

    assertEquals(List.of("ConfigMap", "DaemonSet", "RuntimeClass", "RuntimeClass", "RuntimeClass"), kinds(objects));
    assertEquals(BerthConfig.METRICS_OFF, loadedConfig(objects).metricsAddress());
  }

  @Test
  void aBadLogLevelIsRefusedByTheSchema() {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> render(t -> t.set("logLevel", "loud")));

    assertTrue(refused.getMessage().contains("logLevel"), refused.getMessage());
  }

  @Test
  void aMistypedKeyIsRefusedByTheSchema() {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> render(t -> t.set("metrics.prot", 9800)));

    assertTrue(refused.getMessage().contains("prot"), refused.getMessage());
  }
}
