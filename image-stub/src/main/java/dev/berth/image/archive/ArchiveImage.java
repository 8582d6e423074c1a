package dev.berth.image.archive;

import dev.berth.image.store.Digest;
import java.util.List;

/**
 * One image to write into an archive: its manifest (by digest, with media type and size), its
 * config and layers (by digest, bottom first), and the full references to name it by.
 */
public record ArchiveImage(Digest manifest, String manifestMediaType, long manifestSize, Digest config,
    List<Digest> layers, List<String> names) {

  public ArchiveImage {
    layers = List.copyOf(layers);
    names = List.copyOf(names);
  }
}
