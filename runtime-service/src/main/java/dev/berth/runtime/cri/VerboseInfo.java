package dev.berth.runtime.cri;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The "info" of verbose status answers: the object's persisted record as JSON, like crictl inspect shows. */
final class VerboseInfo {

  private static final ObjectMapper JSON = new ObjectMapper();

  private VerboseInfo() {}

  static String of(Object record) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record);
    } catch (JsonProcessingException e) {
      return "{\"error\": \"" + e.getMessage().replace("\"", "'") + "\"}";
    }
  }
}
