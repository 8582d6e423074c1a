package dev.berth.runtime.oci;

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

  public static final String UNCONFINED = "unconfined";
  public static final String RUNTIME_DEFAULT = "runtime/default";
  public static final String LOCALHOST_PREFIX = "localhost/";

  private static final Seccomp DEFAULT_PROFILE = load();

  private SeccompProfiles() {}

  private static Seccomp load() {
    try (InputStream in = SeccompProfiles.class.getResourceAsStream("seccomp-default.json")) {
      return OciSpecJson.seccomp(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("Berth's default seccomp profile is missing from the build", e);
    }
  }

  /** The profile for the spec's linux.seccomp, empty for unconfined. */
  public static Optional<Seccomp> resolve(String seccomp) {
    if (seccomp.equals(UNCONFINED)) {
      return Optional.empty();
    }
    if (seccomp.equals(RUNTIME_DEFAULT)) {
      return Optional.of(DEFAULT_PROFILE);
    }
    String path = seccomp.substring(LOCALHOST_PREFIX.length());
    if (!path.startsWith("/")) {
      throw new CriException.InvalidArgument("seccomp profile \"" + seccomp + "\" must name an absolute path");
    }
    try {
      Seccomp profile = OciSpecJson.seccomp(Files.readString(Path.of(path)));
      if (profile == null || profile.defaultAction() == null) {
        throw new CriException.InvalidArgument("seccomp profile " + path + " has no defaultAction");
      }
      return Optional.of(profile);
    } catch (IOException e) {
      throw new CriException.InvalidArgument("seccomp profile " + path + " cannot be read: " + e.getMessage());
    }
  }
}
