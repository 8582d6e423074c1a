package dev.berth.bench.workload;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One runtime under test: its CRI socket and, for the memory and scrape workloads, where to find
 * its daemon, its shims and its metrics. Written on the command line as
 * {@code name=berth,socket=/run/x.sock,pid=123,shim=conmon,shim-marker=/tmp/x,metrics=http://...,cgroup-parent=/p,cold=FILE}.
 *
 * @param shim the basename of the shim executable (argv[0]), e.g. conmon or containerd-shim-runc-v2
 * @param shimMarker a string in every shim's command line that tells this runtime's shims apart
 *     from any other runtime's on the machine (its state directory or socket path)
 * @param cgroupParent the cgroupfs parent given to every pod, or empty for the runtime's default
 * @param coldStart the JSON that {@code bench cold-start} wrote while this daemon started, or null
 */
public record Target(String name, Path socket, OptionalLong daemonPid, String shim, String shimMarker, URI metrics,
    String cgroupParent, Path coldStart) {

  private static final Set<String> KEYS =
      Set.of("name", "socket", "pid", "shim", "shim-marker", "metrics", "cgroup-parent", "cold");

  public static Target parse(String spec) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("target field '" + part + "' is not key=value in: " + spec);
      }
      String key = part.substring(0, eq);
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown target field '" + key + "' (known: " + KEYS + ")");
      }
      fields.put(key, part.substring(eq + 1));
    }
    if (!fields.containsKey("socket")) {
      throw new IllegalArgumentException("target needs socket=PATH: " + spec);
    }
    String socket = fields.get("socket").replaceFirst("^unix://", "");
    return new Target(
        fields.getOrDefault("name", Path.of(socket).getFileName().toString()),
        Path.of(socket),
        fields.containsKey("pid") ? OptionalLong.of(Long.parseLong(fields.get("pid"))) : OptionalLong.empty(),
        fields.get("shim"),
        fields.get("shim-marker"),
        fields.containsKey("metrics") ? URI.create(fields.get("metrics")) : null,
        fields.getOrDefault("cgroup-parent", ""),
        fields.containsKey("cold") ? Path.of(fields.get("cold")) : null);
  }
}
