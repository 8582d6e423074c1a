package dev.berth.image;

import java.util.List;

/** An image as CreateContainer needs it: its ID, names and the config a container starts from. */
public record ResolvedImage(String id, List<String> repoTags, List<String> repoDigests, ImageRuntimeConfig config) {
  public ResolvedImage {
    repoTags = List.copyOf(repoTags);
    repoDigests = List.copyOf(repoDigests);
  }
}
