package dev.berth.runtime.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.container.SecurityRequest;
import dev.berth.runtime.model.CriException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Seccomp profiles for the OCI spec: Berth's default (allow all but the syscalls that reach
 * outside the container: mounts, namespaces, modules, kexec, keyrings, clocks, ptrace, bpf, ...),
 * none for unconfined, and an operator's JSON file for localhost/PATH.
 */
public final class SeccompProfiles {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectNode RUNTIME_DEFAULT = load();

  private SeccompProfiles() {}

  private static ObjectNode load() {
    try (InputStream in = SeccompProfiles.class.getResourceAsStream("seccomp-default.json")) {
      return (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("Berth's default seccomp profile is missing from the build", e);
    }
  }

  /** The profile for the spec's linux.seccomp, empty for unconfined. */
  public static Optional<ObjectNode> resolve(String seccomp) {
    if (seccomp.equals(SecurityRequest.UNCONFINED)) {
      return Optional.empty();
    }
    if (seccomp.equals(SecurityRequest.RUNTIME_DEFAULT)) {
      return Optional.of(RUNTIME_DEFAULT.deepCopy());
    }
    String path = seccomp.substring(SecurityRequest.LOCALHOST_PREFIX.length());
    if (!path.startsWith("/")) {
      throw new CriException.InvalidArgument("seccomp profile \"" + seccomp + "\" must name an absolute path");
    }
    try {
      JsonNode profile = JSON.readTree(Files.readString(Path.of(path)));
      if (!(profile instanceof ObjectNode object) || !profile.has("defaultAction")) {
        throw new CriException.InvalidArgument("seccomp profile " + path + " has no defaultAction");
      }
      return Optional.of(object);
    } catch (IOException e) {
      throw new CriException.InvalidArgument("seccomp profile " + path + " cannot be read: " + e.getMessage());
    }
  }
}
