package dev.berth.runtime.handler;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One runtime handler (a RuntimeClass's {@code handler}): its name, {@code ""} for the default,
 * the OCI runtime binary that runs its pods, and what that binary can do on this node.
 */
public record RuntimeHandler(String name, Path binary, HandlerFeatures features) {

  /** Why pods of this handler cannot run now (its binary is missing), or empty. */
  public Optional<String> problem() {
    if (Files.isRegularFile(binary) && Files.isExecutable(binary)) {
      return Optional.empty();
    }
    return Optional.of("runtime handler \"" + name + "\": OCI runtime " + binary
        + (Files.exists(binary) ? " is not an executable file" : " does not exist"));
  }
}
