package dev.berth.image.store;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The format of every JSON record Berth keeps on disk (pods, containers, creation notes, the
 * image catalog, snapshots), in one place, so that a record outlives the code that wrote it.
 *
 * <p>A record is a JSON object with a {@code formatVersion} member beside its fields. Version 0
 * is a record without that member: what Berth wrote before records were versioned (golden copies
 * are kept in the tests). Reading a record of this version or an older one gives the same
 * objects; a field the record lacks (added to the type after the record was written) takes its
 * empty value: an empty string, list, set or map, 0 or false, never a null that would make the
 * record unreadable and quarantine a healthy pod. A change that cannot be expressed as a new
 * defaulted field raises {@link #CURRENT} and converts the older trees in {@link #read}.
 *
 * <p>A record of a newer version was written by a newer Berth (a binary rolled back on a node with
 * running pods). It is refused with {@link NewerFormatException}, which callers let stop the
 * daemon's start with the file and both versions named, rather than quarantine the record (which
 * tears down the pod behind it) or serve without it (the kubelet would create the pod again
 * beside the one still running). Nothing is moved or changed: the newer Berth finds everything
 * as it left it.
 *
 * <p>Lives in image-stub, the lowest module that both image-stub's and runtime-service's stores
 * share.
 */
public final class RecordFormat {

  /** The version this code writes. 1: records carry {@code formatVersion}; fields as in version 0. */
  public static final int CURRENT = 1;

  public static final String VERSION_FIELD = "formatVersion";

  private static final ObjectMapper JSON = mapper();

  private RecordFormat() {}

  private static ObjectMapper mapper() {
    ObjectMapper mapper = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    // A member missing from an older record (or a null in it) is the type's empty value.
    for (Class<?> type : List.of(String.class, List.class, Set.class, Map.class)) {
      mapper.configOverride(type).setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY));
    }
    return mapper;
  }

  /** A record of a format this code does not know yet: written by a newer Berth. */
  public static final class NewerFormatException extends IOException {
    private final int version;

    public NewerFormatException(Path file, int version) {
      super(file + " has record format " + version + ", written by a newer Berth; this one reads formats up to "
          + CURRENT + ". Run the newer Berth again; nothing was changed");
      this.version = version;
    }

    public int version() {
      return version;
    }
  }

  /**
   * Builds the serializers of these record types now, so that a fresh daemon's first pod does not
   * pay for Jackson's introspection of them in its creation note and records.
   */
  public static void prepareFirstUse(Class<?>... types) {
    for (Class<?> type : types) {
      JSON.canSerialize(type);
    }
  }

  /** The record as JSON of the current format: its fields, led by {@code formatVersion}. */
  public static byte[] write(Object record) throws IOException {
    ObjectNode out = JSON.createObjectNode().put(VERSION_FIELD, CURRENT);
    out.setAll((ObjectNode) JSON.valueToTree(record));
    return JSON.writeValueAsBytes(out);
  }

  /** A JSON object of any known format, read as {@code type}. */
  public static <T> T read(Path file, byte[] bytes, Class<T> type) throws IOException {
    return read(file, JSON.readTree(bytes), type);
  }

  /** As {@link #read(Path, byte[], Class)}, from a tree already parsed. */
  public static <T> T read(Path file, JsonNode record, Class<T> type) throws IOException {
    return JSON.treeToValue(currentTree(file, record), type);
  }

  /** The version a record was written in: 0 when it has no {@code formatVersion} member. */
  public static int versionOf(JsonNode record) {
    JsonNode version = record.get(VERSION_FIELD);
    return version == null ? 0 : version.asInt(Integer.MAX_VALUE);
  }

  /**
   * The record's fields in the current format, without {@code formatVersion}.
   *
   * @throws NewerFormatException when a newer Berth wrote it
   */
  public static ObjectNode currentTree(Path file, JsonNode record) throws IOException {
    if (record == null || !record.isObject()) {
      throw MismatchedInputException.from(null, ObjectNode.class, file + " is not a JSON object");
    }
    int version = versionOf(record);
    if (version > CURRENT) {
      throw new NewerFormatException(file, version);
    }
    ObjectNode fields = ((ObjectNode) record).deepCopy();
    fields.remove(VERSION_FIELD);
    // Version 0 -> 1 added only the version member itself: nothing to convert.
    return fields;
  }
}
