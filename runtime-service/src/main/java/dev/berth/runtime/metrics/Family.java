package dev.berth.runtime.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * One metric family of the container and pod series: cAdvisor's name, help and labels where
 * cAdvisor has the metric, a berth_ name otherwise.
 *
 * @param extraLabels labels after the common ones ({@link #BASE_LABELS})
 */
public record Family(String name, String help, Type type, List<String> extraLabels) {

  /** cAdvisor's container labels, in the order every series carries them. */
  public static final List<String> BASE_LABELS = List.of("id", "name", "image", "container", "pod", "namespace");

  public enum Type { COUNTER, GAUGE }

  public Family {
    extraLabels = List.copyOf(extraLabels);
  }

  public List<String> labelKeys() {
    List<String> keys = new ArrayList<>(BASE_LABELS);
    keys.addAll(extraLabels);
    return keys;
  }

  static Family counter(String name, String help, String... labels) {
    return new Family(name, help, Type.COUNTER, List.of(labels));
  }

  static Family gauge(String name, String help, String... labels) {
    return new Family(name, help, Type.GAUGE, List.of(labels));
  }
}
