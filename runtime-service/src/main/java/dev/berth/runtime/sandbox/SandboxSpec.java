package dev.berth.runtime.sandbox;

import java.util.List;
import java.util.Map;

/**
 * What the kubelet asked for when it ran the pod; never changes afterwards.
 *
 * @param sharedPid the pod asked for one process namespace for all its containers
 */
public record SandboxSpec(
    PodName pod,
    String hostname,
    String logDirectory,
    List<String> dnsServers,
    List<String> dnsSearches,
    List<String> dnsOptions,
    List<PortMapping> portMappings,
    Map<String, String> labels,
    Map<String, String> annotations,
    String cgroupParent,
    boolean hostNetwork,
    boolean hostPid,
    boolean hostIpc,
    boolean sharedPid,
    Map<String, String> sysctls,
    String runtimeHandler) {

  public SandboxSpec {
    dnsServers = List.copyOf(dnsServers);
    dnsSearches = List.copyOf(dnsSearches);
    dnsOptions = List.copyOf(dnsOptions);
    portMappings = List.copyOf(portMappings);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    sysctls = Map.copyOf(sysctls);
  }
}
