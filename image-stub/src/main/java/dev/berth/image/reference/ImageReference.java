package dev.berth.image.reference;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised image reference, as the kubelet and crictl spell them:
 * {@code busybox} becomes {@code docker.io/library/busybox:latest}. A reference carries a tag, a
 * digest, or both ({@code name:tag@digest}, where the digest decides what is pulled).
 *
 * @param domain registry host with optional port, e.g. {@code docker.io}, {@code 127.0.0.1:5000}
 * @param path repository path inside the registry, e.g. {@code library/busybox}
 * @param tag the tag, or null
 * @param digest {@code sha256:<64 hex>}, or null
 */
public record ImageReference(String domain, String path, String tag, String digest) {

  public static final String DOCKER_HUB = "docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
  private static final Pattern DOMAIN = Pattern.compile(
      "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
          + "|\\[[0-9a-fA-F:.]+\\](?::[0-9]+)?");

  /** Parses and normalises; a reference with neither tag nor digest gets {@code :latest}. */
  public static ImageReference parse(String reference) {
    if (reference == null || reference.isEmpty()) {
      throw new InvalidReferenceException(reference == null ? "" : reference, "empty");
    }
    if (reference.length() > 4096 || !reference.strip().equals(reference)) {
      throw new InvalidReferenceException(reference, "too long or surrounded by white space");
    }
    String rest = reference;
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!DIGEST.matcher(digest).matches()) {
        throw new InvalidReferenceException(reference, "digest must be sha256: and 64 lower-case hex digits");
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new InvalidReferenceException(reference, "bad tag \"" + tag + "\"");
      }
    }
    String domain;
    String path;
    int slash = rest.indexOf('/');
    String first = slash < 0 ? rest : rest.substring(0, slash);
    // As in docker's reference package: the first component is a registry only when it looks
    // like a host name (a dot or a port) or is "localhost"; otherwise the name is on Docker Hub.
    if (slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost")
        || first.startsWith("["))) {
      domain = first;
      path = rest.substring(slash + 1);
      if (!DOMAIN.matcher(domain).matches()) {
        throw new InvalidReferenceException(reference, "bad registry host \"" + domain + "\"");
      }
    } else {
      domain = DOCKER_HUB;
      path = rest;
    }
    if (domain.equals("index.docker.io")) {
      domain = DOCKER_HUB;
    }
    if (domain.equals(DOCKER_HUB) && !path.contains("/")) {
      path = "library/" + path;
    }
    if (path.isEmpty()) {
      throw new InvalidReferenceException(reference, "empty repository name");
    }
    for (String component : path.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw new InvalidReferenceException(reference, "repository name must be lower-case letters, digits and "
            + "separators, got \"" + component + "\"");
      }
    }
    if ((domain + "/" + path).length() > 255) {
      throw new InvalidReferenceException(reference, "repository name longer than 255 characters");
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(domain, path, tag, digest);
  }

  /** True when the text is an image ID ({@code sha256:<64 hex>}) rather than a reference. */
  public static boolean isImageId(String text) {
    return DIGEST.matcher(text).matches();
  }

  /** {@code docker.io/library/busybox}. */
  public String repository() {
    return domain + "/" + path;
  }

  public Optional<String> tagged() {
    return tag == null ? Optional.empty() : Optional.of(repository() + ":" + tag);
  }

  public Optional<String> digested() {
    return digest == null ? Optional.empty() : Optional.of(repository() + "@" + digest);
  }

  /** The tag or digest to ask the registry for; the digest wins when both are given. */
  public String manifestReference() {
    return digest != null ? digest : tag;
  }

  /** The normalised text: {@code repo:tag}, {@code repo@digest} or {@code repo:tag@digest}. */
  @Override
  public String toString() {
    return repository() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
