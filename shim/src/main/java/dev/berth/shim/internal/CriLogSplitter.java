package dev.berth.shim.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Turns a CRI-format log ({@code <RFC3339Nano> <stdout|stderr> <F|P> <text>}) back into the two
 * byte streams a process wrote: an {@code F} line ends with a newline, a {@code P} line is a
 * fragment that the next line continues. Both streams together keep at most {@code limit}
 * bytes, the first ones written, as one answer carries both.
 */
public final class CriLogSplitter {
  private final int limit;

  /** @param truncated some of the text did not fit in the limit */
  public record Streams(byte[] stdout, byte[] stderr, boolean truncated) {
  }

  private boolean truncated;

  public CriLogSplitter(int limit) {
    this.limit = limit;
  }

  public Streams split(Path log) throws IOException {
    truncated = false;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(log))) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          route(line.toByteArray(), out, err);
          line.reset();
        } else {
          line.write(b);
        }
      }
      if (line.size() > 0) {
        route(line.toByteArray(), out, err);
      }
    } catch (NoSuchFileException e) {
      // conmon creates the log when it starts; no file means no output.
    }
    return new Streams(out.toByteArray(), err.toByteArray(), truncated);
  }

  private void route(byte[] line, ByteArrayOutputStream out, ByteArrayOutputStream err) {
    int first = indexOf(line, 0);
    int second = first < 0 ? -1 : indexOf(line, first + 1);
    if (second < 0 || second + 1 >= line.length) {
      return;
    }
    String stream = new String(line, first + 1, second - first - 1, java.nio.charset.StandardCharsets.US_ASCII);
    boolean full = line[second + 1] == 'F';
    int textStart = Math.min(second + 3, line.length);
    ByteArrayOutputStream target = switch (stream) {
      case "stdout" -> out;
      case "stderr" -> err;
      default -> null;
    };
    if (target == null) {
      return;
    }
    int kept = out.size() + err.size();
    kept += append(target, line, textStart, line.length - textStart, kept);
    if (full) {
      append(target, new byte[] {'\n'}, 0, 1, kept);
    }
  }

  private int append(ByteArrayOutputStream target, byte[] bytes, int offset, int length, int kept) {
    int taken = Math.max(0, Math.min(limit - kept, length));
    target.write(bytes, offset, taken);
    truncated |= taken < length;
    return taken;
  }

  private static int indexOf(byte[] line, int from) {
    for (int i = from; i < line.length; i++) {
      if (line[i] == ' ') {
        return i;
      }
    }
    return -1;
  }
}
