package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network configuration list: the network's name and CNI version, and the chain of plugin
 * configs run in order on ADD and in reverse on DEL. A single-plugin {@code .conf} becomes a
 * list of one, as libcni does.
 */
public record CniConfigList(String name, String cniVersion, List<ObjectNode> plugins) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public CniConfigList {
    plugins = plugins.stream().map(ObjectNode::deepCopy).toList();
  }

  public static CniConfigList load(Path file) throws CniException {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new CniException("CNI network config " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    return fromJson(root, file.toString());
  }

  /** Parses a {@code .conflist} (with "plugins") or a single plugin's {@code .conf}. */
  public static CniConfigList fromJson(JsonNode root, String source) throws CniException {
    if (root == null || !root.isObject()) {
      throw invalid(source, "is not a JSON object");
    }
    String name = root.path("name").asText("");
    if (name.isEmpty()) {
      throw invalid(source, "has no network name");
    }
    String version = root.path("cniVersion").asText("");
    if (version.isEmpty()) {
      // libcni treats a missing version as the oldest protocol; plugins do the same.
      version = "0.1.0";
    }
    List<ObjectNode> plugins = new ArrayList<>();
    JsonNode list = root.get("plugins");
    if (list == null) {
      plugins.add((ObjectNode) root);
    } else if (list.isArray()) {
      for (JsonNode plugin : list) {
        if (!plugin.isObject()) {
          throw invalid(source, "has a plugin entry that is not an object");
        }
        plugins.add((ObjectNode) plugin);
      }
    } else {
      throw invalid(source, "has \"plugins\" that is not an array");
    }
    if (plugins.isEmpty()) {
      throw invalid(source, "names no plugin");
    }
    for (ObjectNode plugin : plugins) {
      String type = plugin.path("type").asText("");
      if (type.isEmpty()) {
        throw invalid(source, "has a plugin without a type");
      }
    }
    return new CniConfigList(name, version, plugins);
  }

  public String type(int index) {
    return plugins.get(index).path("type").asText();
  }

  /**
   * The stdin of plugin {@code index}: its own config plus the list's name and version, the
   * previous plugin's result (chained plugins, and DEL) and, under "runtimeConfig", the
   * runtime's arguments for each capability the plugin declares (for example "portMappings").
   */
  public ObjectNode pluginConfig(int index, JsonNode prevResult, Map<String, JsonNode> capabilityArgs) {
    ObjectNode config = plugins.get(index).deepCopy();
    config.put("name", name);
    config.put("cniVersion", cniVersion);
    if (prevResult != null && !prevResult.isNull()) {
      config.set("prevResult", prevResult);
    } else {
      config.remove("prevResult");
    }
    JsonNode capabilities = config.path("capabilities");
    ObjectNode runtimeConfig = JSON.createObjectNode();
    capabilityArgs.forEach((capability, value) -> {
      if (capabilities.path(capability).asBoolean(false)) {
        runtimeConfig.set(capability, value);
      }
    });
    if (!runtimeConfig.isEmpty()) {
      config.set("runtimeConfig", runtimeConfig);
    }
    return config;
  }

  /** The list form, which is also what the result cache keeps so DEL never rereads the conf dir. */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("cniVersion", cniVersion);
    root.put("name", name);
    root.putArray("plugins").addAll(plugins.stream().map(ObjectNode::deepCopy).toList());
    return root;
  }

  private static CniException invalid(String source, String problem) {
    return new CniException("CNI network config " + source + " " + problem, null);
  }
}
