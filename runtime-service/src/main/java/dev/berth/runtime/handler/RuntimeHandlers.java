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

  /**
   * Probes the handlers of this config against this node's runtimes and kernel;
   * {@code nodeIdmaps} tells whether the node can make the idmapped mounts of a pod with its own
   * user namespace (kernel, filesystems, directories; see {@code userns.UserNamespaceSupport}).
   */
  public static RuntimeHandlers probe(BerthConfig.Runtime runtime, KernelVersion kernel, boolean nodeIdmaps) {
    return of(runtime, kernel, nodeIdmaps, OciRuntimeFeatures::probe);
  }

  static RuntimeHandlers of(BerthConfig.Runtime runtime, KernelVersion kernel, boolean nodeIdmaps,
      Function<Path, OciRuntimeFeatures> askRuntime) {
    Map<Path, HandlerFeatures> byBinary = new HashMap<>();
    Function<Path, HandlerFeatures> features = binary -> byBinary.computeIfAbsent(binary,
        b -> featuresOf(askRuntime.apply(b), kernel, nodeIdmaps));
    List<RuntimeHandler> handlers = new ArrayList<>();
    handlers.add(new RuntimeHandler(DEFAULT, runtime.ociRuntime(), features.apply(runtime.ociRuntime())));
    new TreeMap<>(runtime.handlers()).forEach((name, binary) ->
        handlers.add(new RuntimeHandler(name, binary, features.apply(binary))));
    return new RuntimeHandlers(handlers);
  }

  /**
   * rro needs both the runtime's option and the kernel's mount_setattr (runc asks for it and
   * fails the create on an older kernel). A pod's own user namespace needs a runtime that says it
   * can join one (a runtime without a features document, such as crun 1.8, proves nothing) and a
   * node where Berth can idmap the pod's mounts, which mount_setattr does.
   */
  static HandlerFeatures featuresOf(OciRuntimeFeatures runtime, KernelVersion kernel, boolean nodeIdmaps) {
    return new HandlerFeatures(runtime.supportsMountOption("rro") && kernel.hasMountSetattr(),
        runtime.supportsUserNamespaces() && kernel.hasMountSetattr() && nodeIdmaps);
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
