package dev.berth.runtime.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.config.BerthConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCheckTest {

  @TempDir
  Path host;

  private static Map<String, Finding> bySubject(List<Finding> findings) {
    return findings.stream().collect(Collectors.toMap(Finding::subject, Function.identity()));
  }

  /** Read by cat(1), not by the code under test: /proc/sys files trip up short reads. */
  private static String read(String path) {
    try {
      Process cat = new ProcessBuilder("cat", path).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String text = new String(cat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      cat.waitFor();
      return text;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean hasCniConfig(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> p.toString().matches(".*\\.(conf|conflist|json)$"));
    }
  }

  /** The real node: every verdict must agree with what its files say. */
  @Test
  void onThisMachineTheVerdictsMatchTheFiles() throws IOException {
    BerthConfig config = BerthConfig.defaults();
    Map<String, Finding> found = bySubject(new NodeCheck(config, Path.of("/"), true).run());

    Finding runc = found.get("OCI runtime");
    assertEquals(Files.isExecutable(config.runtime().ociRuntime()), runc.ok(), runc.detail());
    if (runc.ok()) {
      assertTrue(runc.detail().contains("runc version"), "the version line of runc --version: " + runc.detail());
    }
    assertEquals(Files.isExecutable(config.runtime().conmon()), found.get("conmon").ok());
    assertEquals(Files.isExecutable(config.runtime().catatonit()), found.get("catatonit (pod infra)").ok());
    assertEquals(hasCniConfig(config.cni().confDir()), found.get("CNI config").ok());
    if (!hasCniConfig(config.cni().confDir())) {
      assertFalse(found.get("CNI plugins").ok());
    }
    assertFalse(found.get("CNI plugins").detail().contains("loopback"),
        "Berth brings lo up itself: " + found.get("CNI plugins").detail());
    assertEquals(read("/proc/filesystems").contains("\toverlay\n"), found.get("overlayfs").ok());
    assertEquals(read("/proc/self/status").contains("\nSeccomp:"), found.get("seccomp").ok());
    assertEquals(read("/proc/sys/net/ipv4/ip_forward").strip().equals("1"), found.get("IPv4 forwarding").ok());
    String userns = read("/proc/sys/user/max_user_namespaces").strip();
    assertEquals(!userns.isEmpty() && !userns.equals("0"), found.get("user namespaces").ok());
    if (!userns.isEmpty()) {
      assertTrue(found.get("user namespaces").detail().endsWith("= " + userns), found.get("user namespaces").detail());
    }
    String mounts = read("/proc/mounts");
    boolean v1Memory = mounts.lines().anyMatch(l -> l.split(" ")[2].equals("cgroup") && l.matches(".*[ ,]memory[ ,].*"));
    if (v1Memory) {
      assertTrue(found.get("cgroup controllers").detail().startsWith("cgroup v1"), found.get("cgroup controllers").detail());
      assertFalse(found.get("cgroup v2").ok(), "a v1 node is warned about kubelet 1.35");
    }
  }

  @Test
  void anEmptyHostLacksEverythingRequired() {
    List<Finding> findings = new NodeCheck(BerthConfig.defaults(), host, false).run();

    Map<String, Finding> found = bySubject(findings);
    assertFalse(NodeCheck.ready(findings));
    for (String subject : List.of("OCI runtime", "conmon", "catatonit (pod infra)", "CNI config", "CNI plugins",
        "cgroups", "overlayfs", "seccomp", "IPv4 forwarding")) {
      assertEquals("MISSING", found.get(subject).verdict(), subject);
    }
    assertTrue(found.get("OCI runtime").detail().contains("apt-get install runc"), found.get("OCI runtime").detail());
    assertEquals("warn", found.get("user namespaces").verdict());
  }

  @Test
  void aCompleteCgroupV2HostIsReady() throws IOException {
    completeV2Host();

    List<Finding> findings = new NodeCheck(BerthConfig.defaults(), host, false).run();

    List<Finding> notOk = findings.stream().filter(f -> !f.ok()).toList();
    assertTrue(NodeCheck.ready(findings), notOk.toString());
    Map<String, Finding> found = bySubject(findings);
    assertEquals("cgroup v2 at /sys/fs/cgroup: cpu cpuacct cpuset hugetlb io memory pids",
        found.get("cgroup controllers").detail());
    assertTrue(found.get("CNI config").detail().contains("plugins bridge, portmap"), found.get("CNI config").detail());
  }

  @Test
  void aPluginTheConfigNamesButTheNodeLacksIsMissing() throws IOException {
    completeV2Host();
    Files.delete(host.resolve("usr/lib/cni/portmap"));

    Finding plugins = bySubject(new NodeCheck(BerthConfig.defaults(), host, false).run()).get("CNI plugins");

    assertEquals("MISSING", plugins.verdict());
    assertTrue(plugins.detail().endsWith(": portmap (Debian: apt-get install containernetworking-plugins)"), plugins.detail());
  }

  @Test
  void aV2HostWithoutThePidsControllerSaysSo() throws IOException {
    completeV2Host();
    write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory\n");

    Finding cgroups = bySubject(new NodeCheck(BerthConfig.defaults(), host, false).run()).get("cgroup controllers");

    assertEquals("cgroup v2 at /sys/fs/cgroup lacks pids", cgroups.detail());
  }

  private void completeV2Host() throws IOException {
    for (String program : List.of("usr/sbin/runc", "usr/bin/conmon", "usr/bin/catatonit", "usr/bin/nsenter",
        "usr/sbin/iptables", "usr/lib/cni/bridge", "usr/lib/cni/host-local",
        "usr/lib/cni/portmap")) {
      Path file = write(program, "#!/bin/sh\n");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    write("etc/cni/net.d/10-test.conflist",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"t\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}");
    write("proc/mounts", "sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n");
    write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
    write("proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n");
    write("proc/self/status", "Name:\tjava\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    write("proc/sys/user/max_user_namespaces", "1000\n");
    write("proc/sys/net/ipv4/ip_forward", "1\n");
    write("proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
  }

  private Path write(String path, String text) throws IOException {
    Path file = host.resolve(path);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }
}
