package dev.berth.shim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * One line conmon wrote on its sync pipe: {@code {"data": N}} or {@code {"data": N, "message": "..."}}.
 * After a create, {@code data} is the container pid, or negative with the runtime's error in
 * {@code message}. After an exec ends, it is the exit code, or -1 with "command timed out".
 */
public record SyncMessage(int data, String message) {
  static final String TIMED_OUT = "command timed out";

  public static SyncMessage parse(ObjectMapper json, String line) throws IOException {
    JsonNode node = json.readTree(line);
    if (node == null || !node.has("data")) {
      throw new IOException("unexpected message on conmon's sync pipe: " + line);
    }
    JsonNode message = node.get("message");
    return new SyncMessage(node.get("data").asInt(), message == null || message.isNull() ? null : message.asText());
  }

  public boolean failed() {
    return data < 0;
  }

  public boolean timedOut() {
    return data < 0 && TIMED_OUT.equals(message);
  }
}
