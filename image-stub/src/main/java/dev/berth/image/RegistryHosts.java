package dev.berth.image;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-registry settings from the daemon config.
 *
 * @param mirrors registry host (as in a reference: {@code docker.io}, {@code registry.k8s.io})
 *     to mirror endpoints tried in order before the host itself, e.g. {@code http://127.0.0.1:5000}
 * @param plainHttpHosts hosts reached over plain HTTP; loopback hosts always are
 * @param pullProgressTimeout how long a pull may go without progress (a request unanswered, no
 *     byte of a blob, a manifest or token answer not complete) before it fails
 */
public record RegistryHosts(Map<String, List<String>> mirrors, Set<String> plainHttpHosts,
    Duration pullProgressTimeout) {

  /** containerd's default image_pull_progress_timeout. */
  public static final Duration DEFAULT_PULL_PROGRESS_TIMEOUT = Duration.ofMinutes(5);

  public static final RegistryHosts NONE = new RegistryHosts(Map.of(), Set.of());

  public RegistryHosts {
    mirrors = Map.copyOf(mirrors);
    plainHttpHosts = Set.copyOf(plainHttpHosts);
    if (pullProgressTimeout.isNegative() || pullProgressTimeout.isZero()) {
      throw new IllegalArgumentException("pull progress timeout must be positive, got " + pullProgressTimeout);
    }
  }

  public RegistryHosts(Map<String, List<String>> mirrors, Set<String> plainHttpHosts) {
    this(mirrors, plainHttpHosts, DEFAULT_PULL_PROGRESS_TIMEOUT);
  }
}
