package dev.berth.runtime.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
    return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
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
