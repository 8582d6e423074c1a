package dev.berth.runtime.config;

import java.util.List;
import java.util.Map;

/**
 * The TOML file as written by the operator: every key optional (null when absent), names in
 * snake_case. {@link ConfigLoader} lays it over the defaults.
 */
record ConfigFile(
    String socket,
    String root,
    String state,
    String logLevel,
    String cgroupDriver,
    Integer shutdownTimeoutSeconds,
    String streamingAddress,
    Integer streamingTokenTtlSeconds,
    Integer streamingHandshakeTimeoutSeconds,
    Integer streamingIdleTimeoutSeconds,
    CniTable cni,
    RuntimeTable runtime,
    RegistryTable registry,
    String metricsAddress,
    Boolean metricsPerCpuUsage,
    ImagesTable images) {

  record ImagesTable(Long maxLayerUnpackedBytes) {}

  record CniTable(String confDir, List<String> binDirs) {}

  record RegistryTable(Map<String, List<String>> mirrors, List<String> plainHttpHosts, Integer pullProgressTimeoutSeconds) {}

  record RuntimeTable(String ociRuntime, String conmon, String catatonit, String defaultCgroupParent, Long pidsLimit,
      String infraContainer, Map<String, HandlerTable> handlers, String criu, Integer spareInfras) {}

  /** One {@code [runtime.handlers.NAME]} table. */
  record HandlerTable(String runtimePath) {}
}
