package dev.berth.runtime.sandbox;

import dev.berth.runtime.userns.UserNamespaceMapping;
import java.util.List;
import java.util.Map;

/**
 * What the kubelet asked for when it ran the pod; never changes afterwards.
 *
 * @param sharedPid the pod asked for one process namespace for all its containers
 * @param runtimeHandler the handler whose OCI runtime runs the pod and all its containers; {@code ""}
 *     is the default
 * @param userNamespace the mapping of the pod's own user namespace (userns_options mode POD), or
 *     null for the node's (mode NODE, and every record written before user namespaces)
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
    String runtimeHandler,
    UserNamespaceMapping userNamespace) {

  public SandboxSpec {
    dnsServers = List.copyOf(dnsServers);
    dnsSearches = List.copyOf(dnsSearches);
    dnsOptions = List.copyOf(dnsOptions);
    portMappings = List.copyOf(portMappings);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    sysctls = Map.copyOf(sysctls);
    // Records written before handlers existed have none: they ran on the default.
    runtimeHandler = runtimeHandler == null ? "" : runtimeHandler;
  }

  /** Whether the pod runs in a user namespace of its own. */
  public boolean ownUserNamespace() {
    return userNamespace != null;
  }
}
