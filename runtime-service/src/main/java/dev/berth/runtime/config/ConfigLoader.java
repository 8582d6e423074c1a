package dev.berth.runtime.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Reads a TOML config file and lays it over the built-in defaults. */
public final class ConfigLoader {

  private static final Pattern RUNTIME_HANDLER_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  /** Each spare infra is a process and a network namespace held for a pod that may never come. */
  private static final int MAX_SPARE_INFRAS = 16;

  private ConfigLoader() {}

  /** The defaults, or the defaults overlaid with {@code file} when one is given. */
  public static BerthConfig load(Path file) {
    BerthConfig defaults = BerthConfig.defaults();
    if (file == null) {
      return defaults;
    }
    return overlay(defaults, read(file), file.toString());
  }

  private static ConfigFile read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage(), e);
    }
    return ConfigFileReader.read(bytes).orElseGet(() -> readWithJackson(bytes, file));
  }

  /** Built only when {@link ConfigFileReader} leaves a file to Jackson. */
  private static final class Jackson {
    static final TomlMapper TOML = TomlMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .build();
  }

  /** Jackson's reading of the file: what it accepts, and the error that names what it does not. */
  static ConfigFile readWithJackson(byte[] bytes, Path file) {
    try {
      ConfigFile parsed = Jackson.TOML.readValue(bytes, ConfigFile.class);
      // An empty file parses to null: it simply sets nothing.
      return parsed != null ? parsed
          : new ConfigFile(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
              null);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException("config file " + file + ": unknown key '" + keyPath(e) + "'");
    } catch (MismatchedInputException e) {
      throw new ConfigException("config file " + file + ": key '" + keyPath(e) + "' has the wrong type ("
          + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
    } catch (JacksonException e) {
      throw new ConfigException("config file " + file + " is not valid TOML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static String keyPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  private static BerthConfig overlay(BerthConfig base, ConfigFile file, String source) {
    BerthConfig.Cni cni = base.cni();
    if (file.cni() != null) {
      cni = new BerthConfig.Cni(
          file.cni().confDir() != null ? absolute(file.cni().confDir(), source, "cni.conf_dir") : cni.confDir(),
          file.cni().binDirs() != null
              ? file.cni().binDirs().stream().map(d -> absolute(d, source, "cni.bin_dirs")).toList()
              : cni.binDirs());
    }
    BerthConfig.Runtime runtime = base.runtime();
    if (file.runtime() != null) {
      ConfigFile.RuntimeTable table = file.runtime();
      String cgroupParent = table.defaultCgroupParent() != null ? table.defaultCgroupParent() : runtime.defaultCgroupParent();
      if (!cgroupParent.startsWith("/") || cgroupParent.contains("..") || cgroupParent.equals("/")) {
        throw new ConfigException(source + ": key 'runtime.default_cgroup_parent' must be an absolute cgroup path"
            + " below the root, got '" + cgroupParent + "'");
      }
      runtime = new BerthConfig.Runtime(
          table.ociRuntime() != null ? absolute(table.ociRuntime(), source, "runtime.oci_runtime") : runtime.ociRuntime(),
          table.conmon() != null ? absolute(table.conmon(), source, "runtime.conmon") : runtime.conmon(),
          table.catatonit() != null ? absolute(table.catatonit(), source, "runtime.catatonit") : runtime.catatonit(),
          cgroupParent,
          table.pidsLimit() != null ? table.pidsLimit() : runtime.pidsLimit(),
          table.infraContainer() != null ? BerthConfig.InfraContainer.fromConfig(table.infraContainer())
              .orElseThrow(() -> new ConfigException(source + ": key 'runtime.infra_container' must be \"always\" or"
                  + " \"when-needed\", got '" + table.infraContainer() + "'"))
              : runtime.infraContainer(),
          table.handlers() != null ? handlers(table.handlers(), source) : runtime.handlers(),
          table.criu() != null ? criuPath(table.criu(), source) : runtime.criu(),
          table.spareInfras() != null ? table.spareInfras() : runtime.spareInfras());
      if (runtime.pidsLimit() < 0) {
        throw new ConfigException(source + ": key 'runtime.pids_limit' must not be negative");
      }
      if (runtime.spareInfras() < 0 || runtime.spareInfras() > MAX_SPARE_INFRAS) {
        throw new ConfigException(source + ": key 'runtime.spare_infras' must be between 0 and " + MAX_SPARE_INFRAS
            + ", got " + runtime.spareInfras());
      }
    }
    BerthConfig.Registry registry = base.registry();
    if (file.registry() != null) {
      ConfigFile.RegistryTable table = file.registry();
      Map<String, List<String>> mirrors = table.mirrors() != null ? table.mirrors() : registry.mirrors();
      mirrors.forEach((host, endpoints) -> endpoints.forEach(endpoint -> {
        if (!endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
          throw new ConfigException(source + ": key 'registry.mirrors.\"" + host + "\"' endpoint '" + endpoint
              + "' must start with http:// or https://");
        }
      }));
      int progressTimeout = table.pullProgressTimeoutSeconds() != null ? table.pullProgressTimeoutSeconds()
          : registry.pullProgressTimeoutSeconds();
      if (progressTimeout <= 0) {
        throw new ConfigException(source + ": key 'registry.pull_progress_timeout_seconds' must be positive, got "
            + progressTimeout);
      }
      registry = new BerthConfig.Registry(mirrors,
          table.plainHttpHosts() != null ? table.plainHttpHosts() : registry.plainHttpHosts(), progressTimeout);
    }
    BerthConfig.Images images = base.images();
    if (file.images() != null && file.images().maxLayerUnpackedBytes() != null) {
      images = new BerthConfig.Images(file.images().maxLayerUnpackedBytes());
      if (images.maxLayerUnpackedBytes() < 0) {
        throw new ConfigException(source + ": key 'images.max_layer_unpacked_bytes' must not be negative");
      }
    }
    int shutdownTimeout = base.shutdownTimeoutSeconds();
    if (file.shutdownTimeoutSeconds() != null) {
      shutdownTimeout = file.shutdownTimeoutSeconds();
      if (shutdownTimeout < 0) {
        throw new ConfigException(source + ": key 'shutdown_timeout_seconds' must not be negative");
      }
    }
    String streamingAddress = base.streamingAddress();
    if (file.streamingAddress() != null) {
      streamingAddress = file.streamingAddress();
      StreamingAddress.parse(streamingAddress, source + ": key 'streaming_address'");
    }
    int tokenTtl = base.streamingTokenTtlSeconds();
    if (file.streamingTokenTtlSeconds() != null) {
      tokenTtl = file.streamingTokenTtlSeconds();
      if (tokenTtl < 1) {
        throw new ConfigException(source + ": key 'streaming_token_ttl_seconds' must be at least 1");
      }
    }
    int handshakeTimeout = positive(file.streamingHandshakeTimeoutSeconds(), base.streamingHandshakeTimeoutSeconds(),
        source, "streaming_handshake_timeout_seconds");
    int idleTimeout = positive(file.streamingIdleTimeoutSeconds(), base.streamingIdleTimeoutSeconds(),
        source, "streaming_idle_timeout_seconds");
    return new BerthConfig(
        file.socket() != null ? absolute(file.socket(), source, "socket") : base.socket(),
        file.root() != null ? absolute(file.root(), source, "root") : base.root(),
        file.state() != null ? absolute(file.state(), source, "state") : base.state(),
        file.logLevel() != null ? LogLevel.parse(file.logLevel(), source + ": key 'log_level'") : base.logLevel(),
        file.cgroupDriver() != null
            ? CgroupDriver.parse(file.cgroupDriver(), source + ": key 'cgroup_driver'")
            : base.cgroupDriver(),
        shutdownTimeout,
        streamingAddress,
        tokenTtl,
        handshakeTimeout,
        idleTimeout,
        cni,
        runtime,
        registry,
        file.metricsAddress() != null ? metricsAddress(file.metricsAddress(), source + ": key 'metrics_address'")
            : base.metricsAddress(),
        file.metricsPerCpuUsage() != null ? file.metricsPerCpuUsage() : base.metricsPerCpuUsage(),
        images);
  }

  /** The file's value if it has one (at least 1), else the base value. */
  private static int positive(Integer value, int base, String source, String key) {
    if (value == null) {
      return base;
    }
    if (value < 1) {
      throw new ConfigException(source + ": key '" + key + "' must be at least 1");
    }
    return value;
  }

  /**
   * {@code [runtime.handlers.NAME]} tables replace the built-in handlers. A name is what a
   * RuntimeClass's {@code handler} holds, so it must be a DNS label, as Kubernetes requires.
   */
  private static Map<String, Path> handlers(Map<String, ConfigFile.HandlerTable> tables, String source) {
    Map<String, Path> handlers = new LinkedHashMap<>();
    tables.forEach((name, table) -> {
      if (!RUNTIME_HANDLER_NAME.matcher(name).matches()) {
        throw new ConfigException(source + ": runtime handler name '" + name + "' in [runtime.handlers] must be a"
            + " DNS label (lower-case letters, digits and '-', at most 63)");
      }
      String key = "runtime.handlers." + name + ".runtime_path";
      if (table == null || table.runtimePath() == null) {
        throw new ConfigException(source + ": key '" + key + "' is missing");
      }
      handlers.put(name, absolute(table.runtimePath(), source, key));
    });
    return handlers;
  }

  /** "off", or HOST:PORT with a port from 0 to 65535 (0 picks a free one). */
  public static String metricsAddress(String value, String source) {
    if (value.equals(BerthConfig.METRICS_OFF)) {
      return value;
    }
    int colon = value.lastIndexOf(':');
    try {
      if (colon > 0) {
        int port = Integer.parseInt(value.substring(colon + 1));
        if (port >= 0 && port <= 65535) {
          return value;
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(source + " must be HOST:PORT or \"off\", got '" + value + "'");
  }

  /** Paths in the file must be absolute: the daemon's working directory means nothing to an operator. */
  /** An absolute path, or a bare command name that the daemon looks up on its PATH. */
  private static Path criuPath(String value, String source) {
    if (!value.isEmpty() && !value.contains("/")) {
      return Path.of(value);
    }
    return absolute(value, source, "runtime.criu");
  }

  static Path absolute(String value, String source, String key) {
    Path path = Path.of(value);
    if (!path.isAbsolute()) {
      throw new ConfigException(source + ": key '" + key + "' must be an absolute path, got '" + value + "'");
    }
    return path.normalize();
  }
}
