package dev.berth.runtime.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a configuration file from the TOML parser's tokens straight into {@link ConfigFile},
 * without Jackson's {@code ObjectMapper}: building one (time zones, date formats, locale
 * providers) and introspecting the config records was most of a cached daemon's wait before it
 * starts (bench/README, 2026-12-07 04:50). It reads exactly the keys and kinds of value that
 * {@link ConfigFile} has; for anything else (an unknown key, a value of another kind, a file
 * that is not TOML) it gives empty, and {@link ConfigLoader} reads the file with Jackson, whose
 * error names what is wrong, so that there is one source of errors.
 */
final class ConfigFileReader {

  private ConfigFileReader() {}

  static Optional<ConfigFile> read(byte[] toml) {
    try (JsonParser parser = new TomlFactory().createParser(toml)) {
      if (parser.nextToken() == null) {
        return Optional.of(configFile(new Table(Map.of())));
      }
      return Optional.of(configFile(Table.of(value(parser))));
    } catch (IOException | NotRead e) {
      return Optional.empty();
    }
  }

  private static ConfigFile configFile(Table file) {
    Table cni = file.table("cni");
    Table runtime = file.table("runtime");
    Table registry = file.table("registry");
    Table images = file.table("images");
    ConfigFile read = new ConfigFile(
        file.string("socket"),
        file.string("root"),
        file.string("state"),
        file.string("log_level"),
        file.string("cgroup_driver"),
        file.integer("shutdown_timeout_seconds"),
        file.string("streaming_address"),
        file.integer("streaming_token_ttl_seconds"),
        file.integer("streaming_handshake_timeout_seconds"),
        file.integer("streaming_idle_timeout_seconds"),
        cni == null ? null : new ConfigFile.CniTable(cni.string("conf_dir"), cni.strings("bin_dirs")),
        runtime == null ? null : runtimeTable(runtime),
        registry == null ? null : new ConfigFile.RegistryTable(registry.stringLists("mirrors"),
            registry.strings("plain_http_hosts"), registry.integer("pull_progress_timeout_seconds")),
        file.string("metrics_address"),
        file.bool("metrics_per_cpu_usage"),
        images == null ? null : new ConfigFile.ImagesTable(images.longValue("max_layer_unpacked_bytes")));
    for (Table table : new Table[] {file, cni, runtime, registry, images}) {
      if (table != null) {
        table.requireAllRead();
      }
    }
    return read;
  }

  private static ConfigFile.RuntimeTable runtimeTable(Table runtime) {
    Table handlerTables = runtime.table("handlers");
    Map<String, ConfigFile.HandlerTable> handlers = null;
    if (handlerTables != null) {
      handlers = new LinkedHashMap<>();
      for (String name : handlerTables.keys()) {
        Table handler = handlerTables.table(name);
        handlers.put(name, new ConfigFile.HandlerTable(handler.string("runtime_path")));
        handler.requireAllRead();
      }
    }
    return new ConfigFile.RuntimeTable(runtime.string("oci_runtime"), runtime.string("conmon"),
        runtime.string("catatonit"), runtime.string("default_cgroup_parent"), runtime.longValue("pids_limit"),
        runtime.string("infra_container"), handlers, runtime.string("criu"), runtime.integer("spare_infras"));
  }

  /** The value at the parser's current token: a table, an array, a string, an integer or a boolean. */
  private static Object value(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT) {
      Map<String, Object> table = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        parser.nextToken();
        if (table.put(key, value(parser)) != null) {
          throw new NotRead();
        }
      }
      return table;
    }
    if (token == JsonToken.START_ARRAY) {
      List<Object> array = new ArrayList<>();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        array.add(value(parser));
      }
      return array;
    }
    if (token == JsonToken.VALUE_STRING) {
      return parser.getText();
    }
    if (token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
      return parser.getLongValue();
    }
    if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
      return token == JsonToken.VALUE_TRUE;
    }
    throw new NotRead();
  }

  /** One TOML table; each key is taken once, and a key nobody took is unknown. */
  private static final class Table {
    private final Map<String, Object> values;

    private Table(Map<String, Object> values) {
      this.values = new LinkedHashMap<>(values);
    }

    @SuppressWarnings("unchecked")
    static Table of(Object value) {
      if (!(value instanceof Map<?, ?> map)) {
        throw new NotRead();
      }
      return new Table((Map<String, Object>) map);
    }

    List<String> keys() {
      return List.copyOf(values.keySet());
    }

    Table table(String key) {
      Object value = values.remove(key);
      return value == null ? null : of(value);
    }

    String string(String key) {
      return take(key, String.class);
    }

    Boolean bool(String key) {
      return take(key, Boolean.class);
    }

    Long longValue(String key) {
      return take(key, Long.class);
    }

    Integer integer(String key) {
      Long value = longValue(key);
      if (value != null && (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)) {
        throw new NotRead();
      }
      return value == null ? null : value.intValue();
    }

    List<String> strings(String key) {
      Object value = values.remove(key);
      return value == null ? null : stringList(value);
    }

    Map<String, List<String>> stringLists(String key) {
      Table table = table(key);
      if (table == null) {
        return null;
      }
      Map<String, List<String>> lists = new LinkedHashMap<>();
      for (String name : table.keys()) {
        lists.put(name, table.strings(name));
      }
      return lists;
    }

    void requireAllRead() {
      if (!values.isEmpty()) {
        throw new NotRead();
      }
    }

    private <T> T take(String key, Class<T> type) {
      Object value = values.remove(key);
      if (value != null && !type.isInstance(value)) {
        throw new NotRead();
      }
      return type.cast(value);
    }

    private static List<String> stringList(Object value) {
      if (!(value instanceof List<?> list)) {
        throw new NotRead();
      }
      List<String> strings = new ArrayList<>();
      for (Object item : list) {
        if (!(item instanceof String string)) {
          throw new NotRead();
        }
        strings.add(string);
      }
      return strings;
    }
  }

  /** Something this reader does not read exactly as Jackson would; Jackson reads the file instead. */
  private static final class NotRead extends RuntimeException {
    NotRead() {
      super(null, null, false, false);
    }
  }
}
