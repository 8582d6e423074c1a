package dev.berth.image;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-registry settings from the daemon config.
 *
 * @param mirrors registry host (as in a reference: {@code docker.io}, {@code registry.k8s.io})
 *     to mirror endpoints tried in order before the host itself, e.g. {@code http://127.0.0.1:5000}
 * @param plainHttpHosts hosts reached over plain HTTP; loopback hosts always are
 */
public record RegistryHosts(Map<String, List<String>> mirrors, Set<String> plainHttpHosts) {

  public static final RegistryHosts NONE = new RegistryHosts(Map.of(), Set.of());

  public RegistryHosts {
    mirrors = Map.copyOf(mirrors);
    plainHttpHosts = Set.copyOf(plainHttpHosts);
  }
}
