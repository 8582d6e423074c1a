package dev.berth.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpHeaders;

/**
 * Reads a registry's answer whole only when it is small: at most {@code limit} bytes are ever
 * held, and an answer announced or found bigger is refused with the limit in the message.
 */
final class BoundedBody {

  private BoundedBody() {}

  static byte[] read(InputStream body, HttpHeaders headers, int limit, String what) throws IOException {
    long announced = headers.firstValueAsLong("Content-Length").orElse(-1);
    if (announced > limit) {
      throw tooLarge(what, announced + " bytes announced", limit);
    }
    byte[] bytes = body.readNBytes(limit + 1);
    if (bytes.length > limit) {
      throw tooLarge(what, "more than " + limit + " bytes", limit);
    }
    return bytes;
  }

  private static RegistryException tooLarge(String what, String size, int limit) {
    return new RegistryException(RegistryException.Kind.TOO_LARGE,
        what + " is too large (" + size + "; the limit is " + describe(limit) + ")");
  }

  static String describe(long bytes) {
    return bytes % (1024 * 1024) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
  }
}
