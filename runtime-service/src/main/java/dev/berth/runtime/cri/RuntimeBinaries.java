package dev.berth.runtime.cri;

import dev.berth.runtime.config.BerthConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether the programs every pod needs, the OCI runtime and conmon, are there to be run. A
 * daemon whose runtime is missing still starts (as containerd does) so that the kubelet can
 * read why the node is not ready from Status; it heals once the binary is installed, without a
 * restart. Checked per call: one stat each, no process spawned.
 */
final class RuntimeBinaries {

  static final String REASON = "RuntimeBinaryMissing";

  private final BerthConfig.Runtime runtime;

  RuntimeBinaries(BerthConfig.Runtime runtime) {
    this.runtime = runtime;
  }

  /** What is missing, as a sentence naming the path and the setting, or empty when all is there. */
  Optional<String> problem() {
    return missing(runtime.ociRuntime(), "OCI runtime", "oci_runtime")
        .or(() -> missing(runtime.conmon(), "conmon", "conmon"));
  }

  private static Optional<String> missing(Path binary, String what, String setting) {
    if (Files.isRegularFile(binary) && Files.isExecutable(binary)) {
      return Optional.empty();
    }
    String why = Files.exists(binary) ? "is not an executable file" : "does not exist";
    return Optional.of(what + " " + binary + " " + why + " (set [runtime] " + setting + " in the config file)");
  }
}
