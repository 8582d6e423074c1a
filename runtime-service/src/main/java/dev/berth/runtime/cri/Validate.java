package dev.berth.runtime.cri;

import dev.berth.runtime.model.CriException;
import dev.berth.runtime.model.Printable;
import java.util.List;
import java.util.Map;

/**
 * Checks at the edge, each failure naming the field. Names, labels and the other identifiers a
 * kubelet sends never hold control characters (the API server's validation refuses them), and
 * they end up in the daemon's log lines and in files such as /etc/hosts: one carrying a newline
 * could forge a line in either, so they are refused. Paths may hold any byte but NUL, which no
 * system call can take.
 */
final class Validate {

  private Validate() {}

  static String name(String value, String field) {
    if (value.isEmpty()) {
      throw new CriException.InvalidArgument(field + " is empty");
    }
    text(value, field);
    if (value.contains("/") || value.equals("..") || value.equals(".")) {
      throw new CriException.InvalidArgument(field + " " + Printable.quote(value) + " must not contain '/' or be '.' or '..'");
    }
    if (value.length() > 253) {
      throw new CriException.InvalidArgument(field + " is longer than 253 characters");
    }
    return value;
  }

  /** An identifier without control characters (it may be empty). */
  static String text(String value, String field) {
    int at = Printable.firstControl(value);
    if (at >= 0) {
      throw new CriException.InvalidArgument(field + " " + Printable.quote(value) + " contains a control character (U+"
          + String.format("%04X", (int) value.charAt(at)) + ") at index " + at);
    }
    return value;
  }

  /** Each entry as {@code field[i]}. */
  static void texts(List<String> values, String field) {
    for (int i = 0; i < values.size(); i++) {
      text(values.get(i), field + "[" + i + "]");
    }
  }

  /** Label keys and values are identifiers; both are matched by selectors and shown by crictl. */
  static void labels(Map<String, String> labels, String field) {
    labels.forEach((key, value) -> {
      text(key, field + " key");
      text(value, field + "[" + Printable.quote(key) + "]");
    });
  }

  /**
   * Annotation keys are identifiers; values are free text (the kubelet passes pod annotations
   * such as kubectl's last-applied-configuration, which holds newlines), so only keys are checked.
   */
  static void annotationKeys(Map<String, String> annotations, String field) {
    annotations.keySet().forEach(key -> text(key, field + " key"));
  }

  /** A path or argument handed to the kernel, where NUL would end the string early. */
  static String noNul(String value, String field) {
    if (value.indexOf('\0') >= 0) {
      throw new CriException.InvalidArgument(field + " " + Printable.quote(value) + " contains a NUL character");
    }
    return value;
  }

  static void noNuls(List<String> values, String field) {
    for (int i = 0; i < values.size(); i++) {
      noNul(values.get(i), field + "[" + i + "]");
    }
  }

  static void present(boolean present, String field) {
    if (!present) {
      throw new CriException.InvalidArgument(field + " is missing");
    }
  }
}
