package dev.berth.runtime.model;

/**
 * Caller-supplied text made safe to echo in an error message or a log line: control characters
 * (newline, carriage return, NUL, escape, the Unicode line separators) are written as escapes, so
 * a value can never start a line of its own in the daemon's log, and a long value is cut short.
 */
public final class Printable {

  private static final int MAX_CHARS = 80;

  private Printable() {}

  /** The text in double quotes, escaped and at most about {@value #MAX_CHARS} characters long. */
  public static String quote(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 8).append('"');
    int shown = 0;
    for (int i = 0; i < text.length(); i++) {
      if (shown >= MAX_CHARS) {
        out.append("...");
        break;
      }
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (isControl(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
      shown++;
    }
    return out.append('"').toString();
  }

  /** The text with every control character escaped, not cut: for messages that are already ours. */
  public static String escapeControls(String text) {
    if (firstControl(text) < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isControl(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The index of the first control character, or -1 when there is none. */
  public static int firstControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isControl(text.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * C0 and C1 controls and DEL, plus the Unicode line and paragraph separators that some log
   * viewers also break lines at.
   */
  static boolean isControl(char c) {
    return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
  }
}
