package dev.berth.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Berth's own version, stamped into the build's resources by Maven. */
public final class BerthVersion {

  private static final String VERSION = load();

  private BerthVersion() {}

  public static String current() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = BerthVersion.class.getResourceAsStream("/berth-version.properties")) {
      if (in == null) {
        throw new IllegalStateException("berth-version.properties is missing from the build");
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
