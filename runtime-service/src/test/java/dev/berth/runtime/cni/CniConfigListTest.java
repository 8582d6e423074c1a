package dev.berth.runtime.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CniConfigListTest {

  static final ObjectMapper JSON = new ObjectMapper();

  static CniConfigList parse(String json) throws Exception {
    return CniConfigList.fromJson(JSON.readTree(json), "test");
  }

  @Test
  void eachPluginGetsTheListsNameAndVersion() throws Exception {
    CniConfigList list = parse(
        "{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"plugins\":[{\"type\":\"bridge\",\"bridge\":\"b0\"},{\"type\":\"portmap\"}]}");

    ObjectNode bridge = list.pluginConfig(0, null, Map.of());

    assertEquals("pods", bridge.path("name").asText());
    assertEquals("1.0.0", bridge.path("cniVersion").asText());
    assertEquals("b0", bridge.path("bridge").asText());
    assertFalse(bridge.has("prevResult"));
    assertEquals("portmap", list.type(1));
  }

  @Test
  void aChainedPluginGetsThePreviousResult() throws Exception {
    CniConfigList list = parse("{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"plugins\":[{\"type\":\"a\"},{\"type\":\"b\"}]}");
    JsonNode prev = JSON.readTree("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}");

    assertEquals(prev, list.pluginConfig(1, prev, Map.of()).get("prevResult"));
  }

  @Test
  void runtimeConfigGoesOnlyToPluginsWithTheCapability() throws Exception {
    CniConfigList list = parse("{\"cniVersion\":\"1.0.0\",\"name\":\"pods\",\"plugins\":["
        + "{\"type\":\"bridge\"},{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}");
    Map<String, JsonNode> args = CniNetwork.capabilityArgs(List.of(
        new PortMapping("TCP", 80, 8080, "127.0.0.1"), new PortMapping("udp", 53, 0, "")));

    assertFalse(list.pluginConfig(0, null, args).has("runtimeConfig"));
    JsonNode mappings = list.pluginConfig(1, null, args).path("runtimeConfig").path("portMappings");
    assertEquals(JSON.readTree("[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"}]"),
        mappings, "a mapping without a host port is left out");
  }

  @Test
  void aSingleConfIsAListOfOne() throws Exception {
    CniConfigList list = parse("{\"cniVersion\":\"0.4.0\",\"name\":\"pods\",\"type\":\"bridge\"}");
    assertEquals(1, list.plugins().size());
    assertEquals("bridge", list.type(0));
    assertEquals(list, CniConfigList.fromJson(list.toJson(), "round trip"));
  }

  @Test
  void aListWithoutNameOrWithAnUntypedPluginIsRejected() {
    CniException noName = assertThrows(CniException.class, () -> parse("{\"plugins\":[{\"type\":\"bridge\"}]}"));
    assertTrue(noName.getMessage().contains("no network name"), noName.getMessage());
    CniException noType = assertThrows(CniException.class, () -> parse("{\"name\":\"n\",\"plugins\":[{}]}"));
    assertTrue(noType.getMessage().contains("without a type"), noType.getMessage());
  }
}
