package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Parsing of the few shapes cgroup files come in: one value, "key value" lines, and lines of
 * space-separated fields. Hand-written rather than regex: a scrape of 100 containers reads
 * thousands of these.
 */
final class CgroupFiles {

  /** v1 reports "no limit" as a huge page-aligned number (PAGE_COUNTER_MAX pages). */
  static final long V1_UNLIMITED_FLOOR = 1L << 62;

  private CgroupFiles() {}

  static String read(Path file) throws IOException {
    // Not Files.readAllBytes: cgroup files report size 0, so it reads into a fresh 8 KiB array and
    // then copies that to size. A stats call over 100 containers reads thousands of these small
    // files (most under 1 KiB), and those arrays were most of the daemon's allocation (JFR: 1.9
    // of 2.7 GB in one kubelet-poll run) and so most of its young collections.
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1024];
      int length = 0;
      int n;
      while ((n = in.read(buffer, length, buffer.length - length)) > 0) {
        length += n;
        if (length == buffer.length) {
          buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
      }
      return new String(buffer, 0, length, StandardCharsets.ISO_8859_1);
    }
  }

  /** The file's text, or null when it does not exist (a controller not delegated, an old kernel). */
  static String readIfPresent(Path file) throws IOException {
    try {
      return read(file);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** A single number; "max" (v2's "no limit") reads as 0. */
  static long readLong(Path file) throws IOException {
    return parseLimitOrValue(read(file).trim());
  }

  /** Like {@link #readLong} but -1 when the file does not exist. */
  static long readLongIfPresent(Path file) throws IOException {
    String text = readIfPresent(file);
    return text == null ? -1 : parseLimitOrValue(text.trim());
  }

  static long parseLimitOrValue(String text) {
    return text.equals("max") ? 0 : Long.parseLong(text);
  }

  /** "key value" lines (cpu.stat, memory.stat, memory.events, oom_control). */
  static Map<String, Long> keyValues(String text) {
    Map<String, Long> values = new HashMap<>(64);
    eachLine(text, (line, unused) -> {
      int space = line.indexOf(' ');
      if (space > 0) {
        try {
          values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1).trim()));
        } catch (NumberFormatException notANumber) {
          // Keys with non-numeric values carry nothing we report.
        }
      }
    });
    return values;
  }

  static void eachLine(String text, BiConsumer<String, Integer> action) {
    int start = 0;
    int index = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      if (end > start) {
        action.accept(text.substring(start, end), index++);
      }
      start = end + 1;
    }
  }

  static long get(Map<String, Long> values, String key) {
    return values.getOrDefault(key, 0L);
  }
}
