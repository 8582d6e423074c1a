package dev.berth.image.registry;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a registry host is reached: its configured mirrors first, in order, then the host itself,
 * over HTTPS unless the host is configured as plain HTTP or is a loopback address (a local
 * registry on 127.0.0.1:PORT or localhost:PORT, as in tests and air-gapped nodes).
 */
public final class EndpointResolver {

  private final Map<String, List<String>> mirrors;
  private final Set<String> plainHttpHosts;

  public EndpointResolver(Map<String, List<String>> mirrors, Set<String> plainHttpHosts) {
    this.mirrors = Map.copyOf(mirrors);
    this.plainHttpHosts = Set.copyOf(plainHttpHosts);
  }

  public List<RegistryEndpoint> endpoints(String host) {
    List<RegistryEndpoint> out = new ArrayList<>();
    for (String mirror : mirrors.getOrDefault(host, List.of())) {
      String base = mirror.contains("://") ? mirror : schemeFor(hostOf(mirror)) + "://" + mirror;
      base = base.replaceAll("/+$", "").replaceAll("/v2$", "");
      out.add(new RegistryEndpoint(URI.create(base), true));
    }
    String target = host.equals("docker.io") ? "registry-1.docker.io" : host;
    out.add(new RegistryEndpoint(URI.create(schemeFor(host) + "://" + target), false));
    return out;
  }

  private String schemeFor(String host) {
    return plainHttpHosts.contains(host) || isLoopback(host) ? "http" : "https";
  }

  private static String hostOf(String hostPort) {
    int slash = hostPort.indexOf('/');
    return slash < 0 ? hostPort : hostPort.substring(0, slash);
  }

  static boolean isLoopback(String hostPort) {
    String host = hostPort;
    if (host.startsWith("[")) {
      host = host.substring(1, host.indexOf(']'));
      return host.equals("::1");
    }
    int colon = host.lastIndexOf(':');
    if (colon > 0) {
      host = host.substring(0, colon);
    }
    return host.equals("localhost") || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
