package dev.berth.shim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A busybox rootfs and OCI bundles for real containers, all under one short temp dir (attach
 * socket paths must stay under 108 bytes), with their cgroups under one parent unique to the run.
 */
final class TestBundles implements AutoCloseable {
  private static final List<String> APPLETS = List.of("sh", "echo", "sleep", "cat", "true", "false", "printf",
      "ls", "ps", "kill", "yes", "head");
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

  final Path root;
  final Path rootfs;
  final String cgroupParent;
  final ShimConfig config;
  private final ObjectMapper json = new ObjectMapper();

  TestBundles() throws IOException {
    root = Files.createTempDirectory(Path.of("/tmp"), "bs");
    rootfs = root.resolve("rootfs");
    Path bin = Files.createDirectories(rootfs.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
    for (String applet : APPLETS) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    for (String dir : List.of("proc", "dev", "tmp", "etc")) {
      Files.createDirectories(rootfs.resolve(dir));
    }
    cgroupParent = "/berth-shimtest-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    config = new ShimConfig(Path.of("/usr/bin/conmon"), Path.of("/usr/sbin/runc"), root.resolve("r"),
        root.resolve("e"), root.resolve("p"), root.resolve("s"));
  }

  /** A bundle whose process runs {@code args}. */
  Path bundle(String id, String... args) throws IOException {
    Path bundle = Files.createDirectories(root.resolve("b").resolve(id));
    Files.writeString(bundle.resolve("config.json"), json.writerWithDefaultPrettyPrinter()
        .writeValueAsString(config(id, args)));
    return bundle;
  }

  Path logPath(String id) throws IOException {
    return Files.createDirectories(root.resolve("l")).resolve(id + ".log");
  }

  private ObjectNode config(String id, String... args) {
    ObjectNode config = json.createObjectNode();
    config.put("ociVersion", "1.0.2");
    ObjectNode process = config.putObject("process");
    process.put("terminal", false);
    process.putObject("user").put("uid", 0).put("gid", 0);
    ArrayNode argv = process.putArray("args");
    for (String arg : args) {
      argv.add(arg);
    }
    process.putArray("env").add("PATH=/bin");
    process.put("cwd", "/");
    process.put("noNewPrivileges", true);
    config.putObject("root").put("path", rootfs.toString()).put("readonly", true);
    config.put("hostname", "shimtest");
    ArrayNode mounts = config.putArray("mounts");
    mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
    mounts.addObject().put("destination", "/dev").put("type", "tmpfs").put("source", "tmpfs")
        .putArray("options").add("nosuid").add("mode=755").add("size=1m");
    mounts.addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs")
        .putArray("options").add("size=4m");
    ObjectNode linux = config.putObject("linux");
    ArrayNode namespaces = linux.putArray("namespaces");
    for (String type : List.of("pid", "ipc", "uts", "mount", "network")) {
      namespaces.addObject().put("type", type);
    }
    linux.put("cgroupsPath", cgroupParent + "/" + id);
    return config;
  }

  /** Every cgroup directory of this run, in every v1 hierarchy and the unified one. */
  List<Path> cgroupDirs() throws IOException {
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> hierarchies = Files.newDirectoryStream(CGROUP_ROOT)) {
      for (Path hierarchy : hierarchies) {
        Path parent = hierarchy.resolve(cgroupParent.substring(1));
        if (Files.isDirectory(parent)) {
          dirs.add(parent);
        }
      }
    }
    return dirs;
  }

  @Override
  public void close() throws IOException {
    for (Path parent : cgroupDirs()) {
      // cgroup dirs go with rmdir, deepest first; their control files cannot be deleted.
      try (var walk = Files.walk(parent)) {
        for (Path dir : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(dir);
        }
      }
    }
    try (var walk = Files.walk(root)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
