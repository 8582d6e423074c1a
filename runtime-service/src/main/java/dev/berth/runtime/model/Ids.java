package dev.berth.runtime.model;

import java.security.SecureRandom;
import java.util.HexFormat;
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
   * An id or id prefix from a request. Anything else (a path, "..", upper case) is refused here,
   * before it can ever be joined into a path.
   */
  public static String requirePrefix(String text, String field) {
    if (text == null || text.isEmpty()) {
      throw new CriException.InvalidArgument(field + " is empty");
    }
    if (!ID_PREFIX.matcher(text).matches()) {
      throw new CriException.InvalidArgument(field + " '" + abbreviate(text) + "' is not a hex id");
    }
    return text;
  }

  static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
  }
}
