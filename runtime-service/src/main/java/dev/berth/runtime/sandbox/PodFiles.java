package dev.berth.runtime.sandbox;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.linux.Syscalls;
import dev.berth.runtime.store.PlainFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files a pod's containers share: /etc/hostname, /etc/hosts, /etc/resolv.conf and a /dev/shm
 * tmpfs, kept in {@code <state>/pods/<sandbox id>/} and bind-mounted into every container.
 */
public final class PodFiles {

  private static final long MS_NOSUID = 2;
  private static final long MS_NODEV = 4;
  private static final long MS_NOEXEC = 8;
  /** The kubelet's default size for a pod's /dev/shm. */
  private static final String SHM_OPTIONS = "mode=1777,size=65536k";

  private final Path dir;

  public PodFiles(Path podsDir, String sandboxId) {
    this.dir = podsDir.resolve(sandboxId);
  }

  public Path hostname() {
    return dir.resolve("hostname");
  }

  public Path hosts() {
    return dir.resolve("hosts");
  }

  public Path resolvConf() {
    return dir.resolve("resolv.conf");
  }

  public Path shm() {
    return dir.resolve("shm");
  }

  /**
   * Writes every file but /etc/hosts, which names the pod's IPs (so this part can be done while
   * the network is still being set up), and mounts the shm tmpfs unless the pod uses the host's IPC.
   */
  public void createAllButHosts(SandboxSpec spec, String hostname, boolean privateShm) throws IOException {
    PrivateDirectory.create(dir);
    PlainFiles.writeString(hostname(), hostname + "\n");
    PlainFiles.writeString(resolvConf(), resolvConf(spec));
    if (privateShm) {
      Files.createDirectories(shm());
      Syscalls.mount("shm", shm(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, SHM_OPTIONS);
    }
  }

  /** /etc/hosts, once the pod's IPs are known; the directory must exist. */
  public void writeHosts(String hostname, List<String> podIps) throws IOException {
    PlainFiles.writeString(hosts(), hostsFile(hostname, podIps));
  }

  /** Unmounts the shm and deletes the files; safe to call more than once. */
  public void remove() throws IOException {
    Syscalls.umount2(shm(), Syscalls.MNT_DETACH);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
    }
    Files.deleteIfExists(dir);
  }

  static String hostsFile(String hostname, List<String> podIps) {
    StringBuilder hosts = new StringBuilder()
        .append("127.0.0.1\tlocalhost\n")
        .append("::1\tlocalhost ip6-localhost ip6-loopback\n")
        .append("fe00::0\tip6-localnet\n")
        .append("fe00::0\tip6-mcastprefix\n")
        .append("fe00::1\tip6-allnodes\n")
        .append("fe00::2\tip6-allrouters\n");
    if (!podIps.isEmpty()) {
      hosts.append(podIps.getFirst()).append('\t').append(hostname).append('\n');
    }
    return hosts.toString();
  }

  /** From the pod's DNS config; without one, the node's own resolv.conf, as the kubelet expects. */
  static String resolvConf(SandboxSpec spec) throws IOException {
    if (spec.dnsServers().isEmpty() && spec.dnsSearches().isEmpty() && spec.dnsOptions().isEmpty()) {
      Path host = Path.of("/etc/resolv.conf");
      return Files.exists(host) ? Files.readString(host) : "";
    }
    StringBuilder text = new StringBuilder();
    if (!spec.dnsSearches().isEmpty()) {
      text.append("search ").append(String.join(" ", spec.dnsSearches())).append('\n');
    }
    spec.dnsServers().forEach(server -> text.append("nameserver ").append(server).append('\n'));
    if (!spec.dnsOptions().isEmpty()) {
      text.append("options ").append(String.join(" ", spec.dnsOptions())).append('\n');
    }
    return text.toString();
  }
}
