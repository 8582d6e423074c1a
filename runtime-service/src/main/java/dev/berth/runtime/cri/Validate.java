package dev.berth.runtime.cri;

import dev.berth.runtime.model.CriException;

/** Checks at the edge, each failure naming the field. */
final class Validate {

  private Validate() {}

  static String name(String value, String field) {
    if (value.isEmpty()) {
      throw new CriException.InvalidArgument(field + " is empty");
    }
    if (value.contains("/") || value.equals("..") || value.equals(".") || value.indexOf('\0') >= 0) {
      throw new CriException.InvalidArgument(field + " \"" + value + "\" must not contain '/' or be '.' or '..'");
    }
    if (value.length() > 253) {
      throw new CriException.InvalidArgument(field + " is longer than 253 characters");
    }
    return value;
  }

  static void present(boolean present, String field) {
    if (!present) {
      throw new CriException.InvalidArgument(field + " is missing");
    }
  }
}
