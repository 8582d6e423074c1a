package dev.berth.runtime.model;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/** Sandbox and container ids: 64 random hex digits, as containerd and CRI-O hand out. */
public final class Ids {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern FULL_ID = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern ID_PREFIX = Pattern.compile("[0-9a-f]{1,64}");

  private Ids() {}

  public static String newId() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  public static boolean isFullId(String text) {
    return FULL_ID.matcher(text).matches();
  }

  /**
   * An id or id prefix from a request, or empty when the text cannot be one: every id Berth hands
   * out is lower-case hex, so a UUID, a path, "..", upper case or NUL names nothing here. Such a
   * text is never looked up, so it can never be joined into a path; the caller answers as for an
   * id that does not exist (Stop and Remove succeed, the others say NOT_FOUND), as the CRI asks.
   * Only an empty id is a malformed request.
   */
  public static Optional<String> lookupKey(String text, String field) {
    if (text == null || text.isEmpty()) {
      throw new CriException.InvalidArgument(field + " is empty");
    }
    return ID_PREFIX.matcher(text).matches() ? Optional.of(text) : Optional.empty();
  }
}
