package dev.berth.image;

import java.util.List;
import java.util.Map;

/** The image config's defaults for a container (OCI image config "config" section). */
public record ImageRuntimeConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir,
    String user, String stopSignal, Map<String, String> labels) {
  public ImageRuntimeConfig {
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    env = List.copyOf(env);
    labels = Map.copyOf(labels);
  }
}
