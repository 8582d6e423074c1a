package dev.berth.runtime.model;

import java.util.Map;

/** CRI list filters select by labels: every selector pair must be present with the same value. */
public final class LabelSelector {

  private LabelSelector() {}

  public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> wanted : selector.entrySet()) {
      if (!wanted.getValue().equals(labels.get(wanted.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
