package dev.berth.runtime.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The effective configuration in the file's own key names: TOML for {@code berth config}, JSON
 * for the CRI {@code Status} verbose info. Printed TOML loads back to the same configuration.
 */
public final class ConfigView {

  private static final TomlMapper TOML = new TomlMapper();
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ConfigView() {}

  public static Map<String, Object> asMap(BerthConfig config) {
    Map<String, Object> cni = new LinkedHashMap<>();
    cni.put("conf_dir", config.cni().confDir().toString());
    cni.put("bin_dirs", config.cni().binDirs().stream().map(Object::toString).toList());

    Map<String, Object> map = new LinkedHashMap<>();
    map.put("socket", config.socket().toString());
    map.put("root", config.root().toString());
    map.put("state", config.state().toString());
    map.put("log_level", config.logLevel().configName());
    map.put("cgroup_driver", config.cgroupDriver().configName());
    map.put("shutdown_timeout_seconds", config.shutdownTimeoutSeconds());
    map.put("streaming_address", config.streamingAddress());
    map.put("streaming_token_ttl_seconds", config.streamingTokenTtlSeconds());
    map.put("streaming_handshake_timeout_seconds", config.streamingHandshakeTimeoutSeconds());
    map.put("streaming_idle_timeout_seconds", config.streamingIdleTimeoutSeconds());
    map.put("metrics_address", config.metricsAddress());
    map.put("metrics_per_cpu_usage", config.metricsPerCpuUsage());
    map.put("cni", cni);
    Map<String, Object> runtime = new LinkedHashMap<>();
    runtime.put("oci_runtime", config.runtime().ociRuntime().toString());
    runtime.put("conmon", config.runtime().conmon().toString());
    runtime.put("catatonit", config.runtime().catatonit().toString());
    runtime.put("default_cgroup_parent", config.runtime().defaultCgroupParent());
    runtime.put("pids_limit", config.runtime().pidsLimit());
    runtime.put("infra_container", config.runtime().infraContainer().configValue());
    runtime.put("spare_infras", config.runtime().spareInfras());
    Map<String, Object> handlers = new java.util.TreeMap<>();
    config.runtime().handlers().forEach((name, binary) -> handlers.put(name, Map.of("runtime_path", binary.toString())));
    runtime.put("handlers", handlers);
    runtime.put("criu", config.runtime().criu().toString());
    map.put("runtime", runtime);
    Map<String, Object> registry = new LinkedHashMap<>();
    registry.put("plain_http_hosts", config.registry().plainHttpHosts());
    registry.put("pull_progress_timeout_seconds", config.registry().pullProgressTimeoutSeconds());
    registry.put("mirrors", new java.util.TreeMap<>(config.registry().mirrors()));
    map.put("registry", registry);
    Map<String, Object> images = new LinkedHashMap<>();
    images.put("max_layer_unpacked_bytes", config.images().maxLayerUnpackedBytes());
    map.put("images", images);
    return map;
  }

  public static String toToml(BerthConfig config) {
    try {
      return TOML.writeValueAsString(asMap(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the configuration as TOML", e);
    }
  }

  public static String toJson(BerthConfig config) {
    try {
      return JSON.writeValueAsString(asMap(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the configuration as JSON", e);
    }
  }
}
