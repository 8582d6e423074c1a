package dev.berth.runtime.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an OCI runtime says it can do through {@code RUNTIME features} (the OCI runtime-spec
 * "features" document; runc has it since 1.1, crun since 1.9). A runtime without that command
 * proves nothing, so it gets no optional feature.
 *
 * @param mountOptions every mount option the runtime understands ({@code rro} among them when it
 *     can make a mount read-only recursively)
 * @param idmapMounts the runtime makes idmapped mounts itself ({@code linux.mountExtensions.idmap})
 * @param namespaces the namespace types the runtime makes or joins ({@code linux.namespaces})
 * @param runc the runtime is runc: its document carries runc's own version annotation
 */
public record OciRuntimeFeatures(Set<String> mountOptions, boolean idmapMounts, Set<String> namespaces,
    boolean runc) {

  private static final Logger log = LoggerFactory.getLogger(OciRuntimeFeatures.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long PROBE_SECONDS = 10;
  /** The annotation runc (and only runc) puts in its features document. */
  private static final String RUNC_VERSION_ANNOTATION = "org.opencontainers.runc.version";

  public static final OciRuntimeFeatures NONE = new OciRuntimeFeatures(Set.of(), false, Set.of(), false);

  public OciRuntimeFeatures {
    mountOptions = Set.copyOf(mountOptions);
    namespaces = Set.copyOf(namespaces);
  }

  /** Reads a features document; anything that is not one is {@link #NONE}. */
  public static OciRuntimeFeatures parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      return NONE;
    }
    if (root == null || !root.isObject()) {
      return NONE;
    }
    Set<String> options = new HashSet<>();
    root.path("mountOptions").forEach(option -> options.add(option.asText()));
    boolean idmap = root.path("linux").path("mountExtensions").path("idmap").path("enabled").asBoolean(false);
    Set<String> namespaces = new HashSet<>();
    root.path("linux").path("namespaces").forEach(type -> namespaces.add(type.asText()));
    boolean runc = root.path("annotations").hasNonNull(RUNC_VERSION_ANNOTATION);
    return new OciRuntimeFeatures(options, idmap, namespaces, runc);
  }

  /** Runs {@code binary features} once; a missing binary or a runtime without the command gives {@link #NONE}. */
  public static OciRuntimeFeatures probe(Path binary) {
    try {
      Process process = new ProcessBuilder(binary.toString(), "features")
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      process.getOutputStream().close();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        log.warn("{} features did not answer within {} s; reporting no optional feature", binary, PROBE_SECONDS);
        return NONE;
      }
      if (process.exitValue() != 0) {
        log.info("{} has no 'features' command; reporting no optional feature for it", binary);
        return NONE;
      }
      return parse(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return NONE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return NONE;
    }
  }

  public boolean supportsMountOption(String option) {
    return mountOptions.contains(option);
  }

  /** Whether the runtime can put a container in a user namespace (here: join a pinned one). */
  public boolean supportsUserNamespaces() {
    return namespaces.contains("user");
  }
}
