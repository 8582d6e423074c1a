package dev.berth.runtime.sys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads procfs and sysfs files. They report a size of 0 (or of one page), and a read sized by
 * that report can come back short: seen here, "40" in cap_last_cap read as "4". Read to EOF.
 */
public final class ProcFiles {

  private ProcFiles() {}

  public static String read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
