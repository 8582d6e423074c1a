package dev.berth.image.registry;

import dev.berth.image.manifest.MediaTypes;
import dev.berth.image.store.Digest;
import dev.berth.image.store.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;

/** GET /v2/NAME/manifests/REF: one manifest or index, its digest checked when it was asked by digest. */
final class ManifestPuller {

  /** Manifests are small; a bigger answer is a broken or hostile registry. */
  static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  /** A fetched manifest or index with its media type and digest. */
  record Fetched(byte[] bytes, String mediaType, Digest digest) {}

  private final RegistrySession session;

  ManifestPuller(RegistrySession session) {
    this.session = session;
  }

  Fetched pull(String reference, String what) throws IOException, InterruptedException {
    HttpResponse<InputStream> response = session.get(
        session.endpoint().uri(session.repository(), "manifests", reference), MediaTypes.ACCEPT_MANIFESTS, what);
    byte[] bytes;
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw RegistryClient.statusError(response.statusCode(), what + ": GET manifest " + reference);
      }
      session.progress().step("reading manifest " + reference + " from " + session.endpoint());
      bytes = BoundedBody.read(body, response.headers(), MAX_MANIFEST_BYTES, what + ": manifest " + reference);
    }
    Digest actual = Digest.of(bytes);
    if (reference.startsWith("sha256:")) {
      Digest expected = Digest.parse(reference);
      if (!expected.equals(actual)) {
        throw new DigestMismatchException(what + " manifest", expected, actual);
      }
    }
    String header = response.headers().firstValue("Docker-Content-Digest").orElse(null);
    if (header != null && header.startsWith("sha256:") && !Digest.parse(header).equals(actual)) {
      throw new DigestMismatchException(what + " manifest (Docker-Content-Digest)", Digest.parse(header), actual);
    }
    String mediaType = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim()).orElse(null);
    return new Fetched(bytes, mediaType, actual);
  }
}
