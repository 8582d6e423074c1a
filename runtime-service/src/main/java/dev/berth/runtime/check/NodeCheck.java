package dev.berth.runtime.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.sys.ProcFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a node has of what Berth needs: the programs it drives, CNI plugins and config, cgroup
 * controllers, overlayfs and the kernel features it uses. Everything is read below {@code host}
 * ("/" on a node), so that tests can point it at a tree of their own.
 */
public final class NodeCheck {

  /** The controllers Berth writes limits to or reads stats from; a pod cannot start without them. */
  static final List<String> REQUIRED_CONTROLLERS = List.of("cpu", "cpuacct", "cpuset", "memory", "pids");
  /** Used when present: hugepage limits, device access rules, I/O stats. */
  static final List<String> OPTIONAL_CONTROLLERS = List.of("hugetlb", "devices", "blkio", "io", "freezer");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final BerthConfig config;
  private final Path host;
  private final boolean runPrograms;

  /**
   * @param runPrograms whether to run the programs found for their versions (only meaningful when
   *     {@code host} is the real root)
   */
  public NodeCheck(BerthConfig config, Path host, boolean runPrograms) {
    this.config = config;
    this.host = host;
    this.runPrograms = runPrograms;
  }

  public List<Finding> run() {
    List<Finding> findings = new ArrayList<>();
    findings.add(program("OCI runtime", config.runtime().ociRuntime(), true));
    findings.add(program("conmon", config.runtime().conmon(), true));
    findings.add(program("catatonit (pod infra)", config.runtime().catatonit(), true));
    findings.add(program("iptables (CNI port mappings)", Path.of("/usr/sbin/iptables"), false));
    findings.add(criu());
    findings.addAll(cni());
    findings.addAll(cgroups());
    findings.add(overlay());
    findings.add(seccomp());
    findings.add(userNamespaces());
    findings.add(ipForward());
    findings.add(bridgeNetfilter());
    return findings;
  }

  /** True when nothing required is missing. */
  public static boolean ready(List<Finding> findings) {
    return findings.stream().allMatch(f -> f.ok() || !f.required());
  }

  private Path onHost(Path path) {
    return host.resolve(path.isAbsolute() ? path.toString().substring(1) : path.toString());
  }

  private Finding program(String subject, Path path, boolean required) {
    Path file = onHost(path);
    if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
      return Finding.missing(subject, required, "no executable " + path + advice(path));
    }
    return Finding.present(subject, required, path + version(file).map(v -> ": " + v).orElse(""));
  }

  /** Optional: without a working CRIU only CheckpointContainer and restores are refused. */
  private Finding criu() {
    String subject = "criu (checkpoint/restore)";
    if (!runPrograms) {
      return program(subject, config.runtime().criu().isAbsolute() ? config.runtime().criu()
          : Path.of("/usr/sbin").resolve(config.runtime().criu()), false);
    }
    CriuSupport support = new CriuSupport(config.runtime().criu());
    Optional<String> version = support.binary().flatMap(this::version);
    Optional<String> reason = support.unavailableReason();
    String found = support.binary().map(Path::toString).orElse(config.runtime().criu().toString())
        + version.map(v -> ": " + v).orElse("");
    return reason.isEmpty() ? Finding.present(subject, false, found + "; criu check: looks good")
        : Finding.missing(subject, false, reason.get());
  }

  private static String advice(Path path) {
    return switch (path.getFileName().toString()) {
      case "runc" -> " (Debian: apt-get install runc)";
      case "crun" -> " (Debian: apt-get install crun)";
      case "conmon" -> " (Debian: apt-get install conmon)";
      case "catatonit" -> " (Debian: apt-get install catatonit)";
      case "nsenter" -> " (Debian: apt-get install util-linux)";
      case "iptables" -> " (Debian: apt-get install iptables)";
      case "criu" -> " (Debian: apt-get install criu)";
      default -> "";
    };
  }

  private Optional<String> version(Path file) {
    if (!runPrograms) {
      return Optional.empty();
    }
    try {
      Process process = new ProcessBuilder(file.toString(), "--version").redirectErrorStream(true).start();
      process.getOutputStream().close();
      byte[] output = process.getInputStream().readNBytes(4096);
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return Optional.empty();
      }
      return new String(output, StandardCharsets.UTF_8).lines().map(String::strip)
          .filter(line -> !line.isEmpty()).findFirst();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private List<Finding> cni() {
    List<Finding> findings = new ArrayList<>();
    Path confDir = config.cni().confDir();
    List<Path> configs = listing(onHost(confDir)).stream()
        .filter(p -> p.getFileName().toString().matches(".*\\.(conf|conflist|json)$")).sorted().toList();
    Finding noPluginsNamed = Finding.missing("CNI plugins", true, "no CNI config names the plugins to look for");
    if (configs.isEmpty()) {
      findings.add(Finding.missing("CNI config", true, "no *.conf or *.conflist in " + confDir
          + " (pods get no network; deploy/cni/10-berth-bridge.conflist is one for a single node)"));
      findings.add(noPluginsNamed);
      return findings;
    }
    Path first = configs.getFirst();
    // Only the config's own plugins: Berth brings a pod's lo up itself, without the loopback plugin.
    Set<String> wanted = pluginTypes(first);
    if (wanted.isEmpty()) {
      findings.add(Finding.missing("CNI config", true, first + " names no plugin type (not valid CNI JSON?)"));
      findings.add(noPluginsNamed);
      return findings;
    }
    findings.add(Finding.present("CNI config", true, first.getFileName()
        + " in " + confDir + ", plugins " + String.join(", ", wanted)));
    List<String> missing = new ArrayList<>();
    List<String> found = new ArrayList<>();
    for (String plugin : wanted) {
      Optional<Path> dir = config.cni().binDirs().stream()
          .filter(d -> Files.isExecutable(onHost(d).resolve(plugin))).findFirst();
      if (dir.isPresent()) {
        found.add(plugin + " (" + dir.get() + ")");
      } else {
        missing.add(plugin);
      }
    }
    String dirs = config.cni().binDirs().stream().map(Path::toString).reduce((a, b) -> a + " or " + b).orElse("");
    findings.add(missing.isEmpty()
        ? Finding.present("CNI plugins", true, String.join(", ", found))
        : Finding.missing("CNI plugins", true, "not in " + dirs + ": " + String.join(", ", missing)
            + " (Debian: apt-get install containernetworking-plugins)"));
    return findings;
  }

  private static Set<String> pluginTypes(Path file) {
    Set<String> types = new LinkedHashSet<>();
    try {
      JsonNode root = JSON.readTree(file.toFile());
      JsonNode plugins = root.has("plugins") ? root.get("plugins") : JSON.createArrayNode().add(root);
      for (JsonNode plugin : plugins) {
        if (plugin.hasNonNull("type")) {
          types.add(plugin.get("type").asText());
        }
      }
    } catch (IOException e) {
      // An unreadable or malformed config names no plugin; the caller reports that.
    }
    return types;
  }

  private List<Finding> cgroups() {
    List<Finding> findings = new ArrayList<>();
    Set<String> v1 = new TreeSet<>();
    Optional<String> v2Mount = Optional.empty();
    for (String line : lines(onHost(Path.of("/proc/mounts")))) {
      String[] fields = line.split(" ");
      if (fields.length < 4) {
        continue;
      }
      if (fields[2].equals("cgroup")) {
        for (String option : fields[3].split(",")) {
          if (REQUIRED_CONTROLLERS.contains(option) || OPTIONAL_CONTROLLERS.contains(option)
              || option.equals("net_cls") || option.equals("net_prio") || option.equals("perf_event")) {
            v1.add(option);
          }
        }
      } else if (fields[2].equals("cgroup2")) {
        v2Mount = Optional.of(fields[1]);
      }
    }
    Set<String> v2 = v2Mount.map(m -> Set.of(read(onHost(Path.of(m)).resolve("cgroup.controllers")).strip().split("\\s+")))
        .orElse(Set.of());
    String layout;
    Set<String> usable;
    if (!v1.isEmpty()) {
      // Berth places limits in the v1 hierarchies when they exist (hybrid hosts included).
      layout = "cgroup v1" + v2Mount.map(m -> ", with cgroup v2 also at " + m + " (hybrid)").orElse("");
      usable = new TreeSet<>(v1);
      if (v1.contains("cpu")) {
        usable.add("cpuacct");
      }
      v2.stream().filter(c -> c.equals("hugetlb")).forEach(usable::add);
    } else if (v2Mount.isPresent()) {
      layout = "cgroup v2 at " + v2Mount.get();
      usable = new TreeSet<>(v2);
      if (v2.contains("cpu")) {
        usable.add("cpuacct"); // v2's cpu controller accounts usage itself
      }
    } else {
      findings.add(Finding.missing("cgroups", true, "no cgroup filesystem in /proc/mounts"));
      return findings;
    }
    List<String> missing = REQUIRED_CONTROLLERS.stream().filter(c -> !usable.contains(c)).toList();
    findings.add(missing.isEmpty()
        ? Finding.present("cgroup controllers", true, layout + ": " + String.join(" ", usable))
        : Finding.missing("cgroup controllers", true, layout + " lacks " + String.join(", ", missing)));
    if (!v1.isEmpty()) {
      findings.add(Finding.missing("cgroup v2", false, "the node runs cgroup v1: kubelet 1.35 and newer refuse it"
          + " unless failCgroupV1 is false in the kubelet's configuration"));
    }
    return findings;
  }

  private Finding overlay() {
    boolean present = lines(onHost(Path.of("/proc/filesystems"))).stream()
        .anyMatch(line -> line.strip().endsWith("\toverlay") || line.strip().equals("overlay")
            || line.strip().endsWith(" overlay"));
    return present
        ? Finding.present("overlayfs", true, "overlay in /proc/filesystems")
        : Finding.missing("overlayfs", true, "overlay is not in /proc/filesystems (modprobe overlay)");
  }

  private Finding seccomp() {
    Optional<String> mode = statusField("Seccomp");
    return mode.isPresent()
        ? Finding.present("seccomp", true, "the kernel has seccomp (Seccomp: " + mode.get() + " in /proc/self/status)")
        : Finding.missing("seccomp", true, "no Seccomp line in /proc/self/status: the kernel lacks CONFIG_SECCOMP,"
            + " and RuntimeDefault profiles cannot be applied");
  }

  private Finding userNamespaces() {
    String max = read(onHost(Path.of("/proc/sys/user/max_user_namespaces"))).strip();
    if (max.isEmpty()) {
      return Finding.missing("user namespaces", false, "no /proc/sys/user/max_user_namespaces: the kernel has none"
          + " (pods with hostUsers: false cannot run)");
    }
    return max.equals("0")
        ? Finding.missing("user namespaces", false, "user.max_user_namespaces is 0 (pods with hostUsers: false cannot run)")
        : Finding.present("user namespaces", false, "user.max_user_namespaces = " + max);
  }

  private Finding ipForward() {
    String value = read(onHost(Path.of("/proc/sys/net/ipv4/ip_forward"))).strip();
    return value.equals("1")
        ? Finding.present("IPv4 forwarding", true, "net.ipv4.ip_forward = 1")
        : Finding.missing("IPv4 forwarding", true, "net.ipv4.ip_forward = " + (value.isEmpty() ? "(unreadable)" : value)
            + ": pod traffic is not routed (sysctl -w net.ipv4.ip_forward=1, and persist it in /etc/sysctl.d)");
  }

  private Finding bridgeNetfilter() {
    String value = read(onHost(Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables"))).strip();
    return value.equals("1")
        ? Finding.present("bridge netfilter", false, "net.bridge.bridge-nf-call-iptables = 1")
        : Finding.missing("bridge netfilter", false, value.isEmpty()
            ? "br_netfilter is not loaded: Services do not reach pods on the same bridge (modprobe br_netfilter)"
            : "net.bridge.bridge-nf-call-iptables = " + value + ": Services do not reach pods on the same bridge");
  }

  private Optional<String> statusField(String name) {
    return lines(onHost(Path.of("/proc/self/status"))).stream()
        .filter(line -> line.startsWith(name + ":"))
        .map(line -> line.substring(name.length() + 1).strip())
        .findFirst();
  }

  private static List<String> lines(Path file) {
    String text = read(file);
    return text.isEmpty() ? List.of() : text.lines().toList();
  }

  /** A whole procfs/sysfs file (see ProcFiles for why not Files.readString), or "" when unreadable. */
  static String read(Path file) {
    try {
      return ProcFiles.read(file);
    } catch (IOException e) {
      return "";
    }
  }

  private static List<Path> listing(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
