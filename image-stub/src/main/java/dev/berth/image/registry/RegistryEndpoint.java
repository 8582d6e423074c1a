package dev.berth.image.registry;

import java.net.URI;

/** One place a repository can be fetched from: the registry itself or a mirror of it. */
public record RegistryEndpoint(URI base, boolean mirror) {

  public URI uri(String repository, String kind, String reference) {
    return URI.create(base.toString() + "/v2/" + repository + "/" + kind + "/" + reference);
  }

  @Override
  public String toString() {
    return base.toString();
  }
}
