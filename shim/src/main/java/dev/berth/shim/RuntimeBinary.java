package dev.berth.shim;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One runtime handler's OCI runtime: the binary and the state directory it is run with
 * ({@code --root}). Each binary keeps its own state root, because runc and crun each read only
 * their own state files.
 *
 * @param handler the CRI runtime handler name; {@code ""} is the default handler
 */
public record RuntimeBinary(String handler, Path binary, Path root) {
  public RuntimeBinary {
    Objects.requireNonNull(handler, "handler");
    Objects.requireNonNull(binary, "binary");
    Objects.requireNonNull(root, "root");
  }
}
