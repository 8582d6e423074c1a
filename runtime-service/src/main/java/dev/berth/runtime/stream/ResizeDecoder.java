package dev.berth.runtime.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The resize stream: JSON objects {@code {"Width":W,"Height":H}} one after another, split across
 * frames anywhere. Objects hold no nested braces or strings with braces, so a depth count finds
 * their ends.
 */
final class ResizeDecoder {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_OBJECT = 4096;

  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private int depth;

  List<TerminalSize> decode(byte[] data) {
    List<TerminalSize> sizes = new ArrayList<>();
    for (byte b : data) {
      if (depth == 0 && b != '{') {
        continue;
      }
      pending.write(b);
      if (b == '{') {
        depth++;
      } else if (b == '}' && --depth == 0) {
        sizes.add(parse(pending.toByteArray()));
        pending.reset();
      }
      if (pending.size() > MAX_OBJECT) {
        throw new StreamProtocolException("resize message longer than " + MAX_OBJECT + " bytes");
      }
    }
    return sizes;
  }

  private static TerminalSize parse(byte[] object) {
    try {
      JsonNode node = JSON.readTree(object);
      int width = node.path("Width").asInt(-1);
      int height = node.path("Height").asInt(-1);
      if (width < 0 || height < 0 || width > 0xFFFF || height > 0xFFFF) {
        throw new StreamProtocolException("bad terminal size " + node);
      }
      return new TerminalSize(width, height);
    } catch (IOException e) {
      throw new StreamProtocolException("resize message is not JSON: " + e.getMessage());
    }
  }
}
