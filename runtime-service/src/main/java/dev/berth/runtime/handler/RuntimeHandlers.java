package dev.berth.runtime.handler;

import dev.berth.runtime.config.BerthConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * The runtime handlers this node offers: the default {@code ""} (the configured
 * {@code oci_runtime}) and each {@code [runtime.handlers.NAME]}, with features probed once at
 * start (each binary is asked once, however many handlers share it, and all at the same time).
 */
public final class RuntimeHandlers {

  public static final String DEFAULT = "";

  private final List<RuntimeHandler> all;
  /** The handlers whose binary is runc, as its features document says. */
  private final Set<String> runc;

  RuntimeHandlers(List<RuntimeHandler> all, Set<String> runc) {
    this.all = List.copyOf(all);
    this.runc = Set.copyOf(runc);
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
    Map<String, Path> named = new TreeMap<>(runtime.handlers());
    Set<Path> binaries = new LinkedHashSet<>();
    binaries.add(runtime.ociRuntime());
    binaries.addAll(named.values());
    Map<Path, OciRuntimeFeatures> byBinary = askAtOnce(binaries, askRuntime);
    Map<String, Path> binaryByName = new LinkedHashMap<>();
    binaryByName.put(DEFAULT, runtime.ociRuntime());
    binaryByName.putAll(named);
    List<RuntimeHandler> handlers = new ArrayList<>();
    Set<String> runc = new HashSet<>();
    binaryByName.forEach((name, binary) -> {
      OciRuntimeFeatures features = byBinary.get(binary);
      handlers.add(new RuntimeHandler(name, binary, featuresOf(features, kernel, nodeIdmaps)));
      if (features.runc()) {
        runc.add(name);
      }
    });
    return new RuntimeHandlers(handlers, runc);
  }

  /**
   * Each runtime's {@code features} is a process start of tens of ms on a fresh node, spent
   * waiting: asked one after the other they added up on every daemon start.
   */
  private static Map<Path, OciRuntimeFeatures> askAtOnce(Set<Path> binaries, Function<Path, OciRuntimeFeatures> ask) {
    Map<Path, CompletableFuture<OciRuntimeFeatures>> asked = new HashMap<>();
    try (ExecutorService askers = Executors.newVirtualThreadPerTaskExecutor()) {
      binaries.forEach(binary -> asked.put(binary, CompletableFuture.supplyAsync(() -> ask.apply(binary), askers)));
    }
    Map<Path, OciRuntimeFeatures> answers = new HashMap<>();
    asked.forEach((binary, answer) -> answers.put(binary, answer.join()));
    return answers;
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

  /**
   * The handlers whose runtime is runc, whose containers the shim starts through runc's exec
   * FIFO rather than with a runc process.
   */
  public Set<String> runcHandlers() {
    return runc;
  }

  /** The names, for messages. */
  public List<String> names() {
    return all.stream().map(RuntimeHandler::name).toList();
  }
}
