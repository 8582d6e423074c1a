package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Answers "could a pod get a network now?" for the CRI NetworkReady condition: the first CNI
 * config in lexical order (the order CNI's own libraries use) must parse, and every plugin it
 * names must be an executable in one of the plugin directories.
 */
public final class NetworkConfigProbe {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path confDir;
  private final List<Path> binDirs;

  public NetworkConfigProbe(Path confDir, List<Path> binDirs) {
    this.confDir = confDir;
    this.binDirs = List.copyOf(binDirs);
  }

  /** Either ready, or not ready with the reason a node operator needs to fix it. */
  public record Readiness(boolean ready, String reason, String message) {
    static Readiness ready(String message) {
      return new Readiness(true, "", message);
    }

    static Readiness notReady(String message) {
      return new Readiness(false, "NetworkPluginNotReady", message);
    }
  }

  public Readiness probe() {
    Optional<Path> first;
    try {
      first = CniConfigFiles.first(confDir);
    } catch (NoSuchFileException e) {
      return Readiness.notReady("no CNI network config: " + confDir + " does not exist");
    } catch (IOException e) {
      return Readiness.notReady("no CNI network config: cannot read " + confDir + ": " + e);
    }
    if (first.isEmpty()) {
      return Readiness.notReady("no CNI network config found in " + confDir);
    }
    Path config = first.get();
    List<String> pluginTypes;
    try {
      pluginTypes = pluginTypes(JSON.readTree(config.toFile()));
    } catch (IOException e) {
      return Readiness.notReady("CNI network config " + config + " is not valid JSON: " + e.getMessage());
    }
    if (pluginTypes.isEmpty()) {
      return Readiness.notReady("CNI network config " + config + " names no plugin type");
    }
    for (String type : pluginTypes) {
      if (!pluginExists(type)) {
        return Readiness.notReady("CNI plugin '" + type + "' from " + config + " not found in " + binDirs);
      }
    }
    return Readiness.ready("CNI network config " + config + " with plugins " + pluginTypes);
  }

  /** A .conflist has a "plugins" array; a single .conf is itself the one plugin. */
  private static List<String> pluginTypes(JsonNode config) {
    List<String> types = new ArrayList<>();
    JsonNode plugins = config.path("plugins");
    if (plugins.isArray()) {
      plugins.forEach(plugin -> addType(plugin, types));
    } else {
      addType(config, types);
    }
    return types;
  }

  private static void addType(JsonNode plugin, List<String> types) {
    String type = plugin.path("type").asText("");
    if (!type.isEmpty()) {
      types.add(type);
    }
  }

  private boolean pluginExists(String type) {
    // A type is a bare file name; anything with a separator would escape the plugin directories.
    if (type.contains("/")) {
      return false;
    }
    return binDirs.stream().map(dir -> dir.resolve(type)).anyMatch(Files::isExecutable);
  }
}
