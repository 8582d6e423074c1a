package dev.berth.runtime.handler;

import dev.berth.runtime.config.BerthConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The runtime handlers this node offers: the default {@code ""} (the configured
 * {@code oci_runtime}) and each {@code [runtime.handlers.NAME]}, with features probed once at
 * start (each binary is asked once, however many handlers share it).
 */
public final class RuntimeHandlers {

  public static final String DEFAULT = "";

  private final List<RuntimeHandler> all;

  RuntimeHandlers(List<RuntimeHandler> all) {
    this.all = List.copyOf(all);
  }

  /** Probes the handlers of this config against this node's runtimes and kernel. */
  public static RuntimeHandlers probe(BerthConfig.Runtime runtime, KernelVersion kernel) {
    return of(runtime, kernel, OciRuntimeFeatures::probe);
  }

  static RuntimeHandlers of(BerthConfig.Runtime runtime, KernelVersion kernel,
      Function<Path, OciRuntimeFeatures> askRuntime) {
    Map<Path, HandlerFeatures> byBinary = new HashMap<>();
    Function<Path, HandlerFeatures> features = binary -> byBinary.computeIfAbsent(binary,
        b -> featuresOf(askRuntime.apply(b), kernel));
    List<RuntimeHandler> handlers = new ArrayList<>();
    handlers.add(new RuntimeHandler(DEFAULT, runtime.ociRuntime(), features.apply(runtime.ociRuntime())));
    new TreeMap<>(runtime.handlers()).forEach((name, binary) ->
        handlers.add(new RuntimeHandler(name, binary, features.apply(binary))));
    return new RuntimeHandlers(handlers);
  }

  /**
   * rro needs both the runtime's option and the kernel's mount_setattr (runc asks for it and
   * fails the create on an older kernel). User namespaces are not offered yet.
   */
  static HandlerFeatures featuresOf(OciRuntimeFeatures runtime, KernelVersion kernel) {
    return new HandlerFeatures(runtime.supportsMountOption("rro") && kernel.hasMountSetattr(), false);
  }

  /** The default first, then the named ones by name. */
  public List<RuntimeHandler> all() {
    return all;
  }

  public Optional<RuntimeHandler> find(String name) {
    return all.stream().filter(h -> h.name().equals(name)).findFirst();
  }

  /** The names, for messages. */
  public List<String> names() {
    return all.stream().map(RuntimeHandler::name).toList();
  }
}
