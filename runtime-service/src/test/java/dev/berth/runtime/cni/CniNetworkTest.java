package dev.berth.runtime.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.testing.HostPrograms;
import dev.berth.runtime.testing.TestSubnets;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * CNI against Debian's real plugins (needs root): a bridge with its own name, host-local IPAM in
 * a free /24 from TestSubnets with its data in the test's directory, and portmap.
 * Traffic only flows between the test's own namespaces and loopback. Everything the plugins make
 * on the host (bridge, iptables chains, ip_forward) is undone in {@link #cleanUpHost()}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CniNetworkTest {

  static final Path PLUGINS = HostPrograms.cniPluginDir();
  static final String[] PORTMAP_CHAINS = {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"};

  Path root;
  String bridge;
  String network;
  String subnetPrefix;
  Path confDir;
  Path ipamDir;
  Path cacheDir;
  NetworkNamespaces namespaces;
  CniNetwork cni;
  boolean portmapChainsExisted;
  String ipForwardBefore;
  final List<String> sandboxes = new ArrayList<>();
  final List<Process> processes = new ArrayList<>();

  @BeforeAll
  void setUpNetwork() throws Exception {
    String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    root = Files.createTempDirectory("berth-cni-");
    bridge = "bt" + suffix;
    network = "berth-test-" + suffix;
    subnetPrefix = TestSubnets.freePrefix() + ".";
    confDir = Files.createDirectories(root.resolve("net.d"));
    ipamDir = root.resolve("ipam");
    cacheDir = root.resolve("cache");
    Files.writeString(confDir.resolve("10-pods.conflist"), conflist(network, "portmap"));
    portmapChainsExisted = run("iptables-save", "-t", "nat").output().contains(":CNI-HOSTPORT-DNAT ");
    ipForwardBefore = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip();
    namespaces = new NetworkNamespaces(root.resolve("netns"));
    cni = new CniNetwork(confDir, List.of(PLUGINS), cacheDir);
  }

  @AfterEach
  void stopProcesses() throws InterruptedException {
    for (Process process : processes) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    processes.clear();
  }

  @AfterAll
  void cleanUpHost() throws Exception {
    for (String id : sandboxes) {
      try {
        cni.detach(attachment(id, namespaces.path(id), List.of()));
      } catch (CniException e) {
        System.err.println("cleanup: " + e.getMessage());
      }
      namespaces.remove(id);
    }
    run("ip", "link", "del", bridge);
    removePortmapChainsIfOurs();
    Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), ipForwardBefore);
    try (Stream<Path> files = Files.walk(root)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  void addGivesEth0AnAddressAndBringsLoUp() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);

    CniResult result = cni.attach(attachment(id, netns, List.of()));

    assertEquals(1, result.ips().size(), result.rawJson());
    String ip = result.ips().getFirst();
    assertTrue(ip.startsWith(subnetPrefix), ip + " not in " + subnetPrefix + "0/24");
    assertTrue(nsenter(netns, "ip", "-o", "-4", "addr", "show", "dev", "eth0").output().contains(" " + ip + "/24"));
    assertTrue(nsenter(netns, "ip", "-o", "link", "show", "lo").output().contains(",UP"), "lo must be up");
    assertTrue(Files.exists(cacheDir.resolve(id + ".json")), "ADD result must be cached for DEL");
  }

  @Test
  void twoPodsReachEachOtherByAddress() throws Exception {
    String a = sandbox();
    String b = sandbox();
    Path netnsA = namespaces.create(a);
    Path netnsB = namespaces.create(b);
    cni.attach(attachment(a, netnsA, List.of()));
    String ipB = cni.attach(attachment(b, netnsB, List.of())).ips().getFirst();

    Result ping = nsenter(netnsA, "/bin/busybox", "ping", "-c", "1", "-W", "3", ipB);

    assertEquals(0, ping.status(), ping.output());
  }

  /**
   * 127.0.0.1 works: portmap DNATs locally generated traffic in OUTPUT, sets route_localnet on
   * the bridge so 127/8 may be routed out of it, and masquerades the hairpin (mark 0x2000).
   */
  @Test
  void aHostPortOnLoopbackReachesTheListenerInThePod() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);
    int hostPort = freeHostPort();
    cni.attach(attachment(id, netns, List.of(new PortMapping("tcp", 8080, hostPort, "127.0.0.1"))));
    assertTrue(natRulesMention(id), "portmap should have added DNAT rules for " + id);
    Path received = root.resolve("received-" + id);
    Process listener = new ProcessBuilder("nsenter", "--net=" + netns, "/bin/busybox", "nc", "-l", "-p", "8080")
        .redirectOutput(received.toFile())
        .redirectErrorStream(false)
        .start();
    processes.add(listener);

    sendWithRetry("127.0.0.1", hostPort, "hello through portmap\n");

    assertTrue(listener.waitFor(10, TimeUnit.SECONDS), "nc should exit after one connection");
    assertEquals("hello through portmap\n", Files.readString(received));
    cni.detach(attachment(id, netns, List.of()));
    assertFalse(natRulesMention(id), "DEL must remove portmap's rules for " + id);
  }

  @Test
  void delTwiceSucceedsAndReleasesTheAddress() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);
    String ip = cni.attach(attachment(id, netns, List.of())).ips().getFirst();
    assertTrue(Files.exists(ipamDir.resolve(network).resolve(ip)), "host-local should hold " + ip);

    cni.detach(attachment(id, netns, List.of()));
    cni.detach(attachment(id, netns, List.of()));

    assertFalse(Files.exists(ipamDir.resolve(network).resolve(ip)), "DEL must release " + ip);
    assertFalse(Files.exists(cacheDir.resolve(id + ".json")));
    assertFalse(nsenter(netns, "ip", "-o", "link").output().contains("eth0"), "DEL must remove eth0");
  }

  @Test
  void delAfterTheNamespaceIsGoneSucceedsAndReleasesTheAddress() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);
    String ip = cni.attach(attachment(id, netns, List.of())).ips().getFirst();
    namespaces.remove(id);

    cni.detach(attachment(id, netns, List.of()));
    cni.detach(attachment(id, null, List.of()));

    assertFalse(Files.exists(ipamDir.resolve(network).resolve(ip)), "DEL must release " + ip);
    assertFalse(Files.exists(cacheDir.resolve(id + ".json")));
  }

  @Test
  void delAfterARestartUsesTheCachedConfigEvenWhenTheConfDirChanged() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);
    String ip = cni.attach(attachment(id, netns, List.of())).ips().getFirst();
    CniNetwork restarted = new CniNetwork(Files.createDirectories(root.resolve("net.d-empty")), List.of(PLUGINS), cacheDir);

    restarted.detach(attachment(id, netns, List.of()));

    assertFalse(Files.exists(ipamDir.resolve(network).resolve(ip)), "DEL must release " + ip);
    assertFalse(nsenter(netns, "ip", "-o", "link").output().contains("eth0"));
  }

  @Test
  void anAddInterruptedByACrashIsDeletedBeforeTheNextAdd() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);
    String first = cni.attach(attachment(id, netns, List.of())).ips().getFirst();
    // What a daemon killed during ADD leaves: the entry written before the plugins ran, no result.
    CniResultCache cache = new CniResultCache(cacheDir);
    cache.write(cache.read(id).orElseThrow().withResult(null));

    String second = cni.attach(attachment(id, netns, List.of())).ips().getFirst();

    assertTrue(nsenter(netns, "ip", "-o", "-4", "addr", "show", "dev", "eth0").output().contains(second));
    if (!first.equals(second)) {
      assertFalse(Files.exists(ipamDir.resolve(network).resolve(first)), "the interrupted ADD's " + first + " leaked");
    }
  }

  @Test
  void delOfASandboxNeverAttachedIsHarmless() throws CniException {
    cni.detach(attachment(sandbox(), null, List.of()));
  }

  @Test
  void aMissingPluginFailsNamingItAndLeavesNothingBehind() throws Exception {
    Path otherConf = Files.createDirectories(root.resolve("net.d-missing"));
    String otherNetwork = network + "-m";
    Files.writeString(otherConf.resolve("10-pods.conflist"), conflist(otherNetwork, "nosuchplugin"));
    CniNetwork broken = new CniNetwork(otherConf, List.of(PLUGINS), cacheDir);
    String id = sandbox();
    Path netns = namespaces.create(id);

    CniException e = assertThrows(CniException.class, () -> broken.attach(attachment(id, netns, List.of())));

    assertEquals("nosuchplugin", e.plugin());
    assertTrue(e.getMessage().contains("nosuchplugin"), e.getMessage());
    assertFalse(Files.exists(cacheDir.resolve(id + ".json")), "a failed ADD must leave no cache");
    try (Stream<Path> held = Files.list(ipamDir.resolve(otherNetwork))) {
      assertEquals(List.of(), held.filter(p -> p.getFileName().toString().startsWith("10.")).toList(),
          "the bridge's address must be released when a later plugin fails");
    }
    assertFalse(nsenter(netns, "ip", "-o", "link").output().contains("eth0"), "the bridge's eth0 must be undone");
  }

  @Test
  void pluginDirectoriesWithoutLoopbackAttachAndTheNamespaceHasLoUp() throws Exception {
    // lo is the namespace's own business now: a node needs only the plugins its config names.
    Path bin = Files.createDirectories(root.resolve("bin-no-lo"));
    for (String plugin : List.of("bridge", "host-local", "portmap")) {
      Files.createSymbolicLink(bin.resolve(plugin), PLUGINS.resolve(plugin));
    }
    String id = sandbox();
    Path netns = namespaces.create(id);
    CniNetwork withoutLoopback = new CniNetwork(confDir, List.of(bin), cacheDir);

    String ip = withoutLoopback.attach(attachment(id, netns, List.of())).ips().getFirst();

    assertTrue(nsenter(netns, "ip", "-o", "-4", "addr", "show", "dev", "eth0").output().contains(ip));
    String lo = nsenter(netns, "ip", "-o", "addr", "show", "dev", "lo").output();
    assertTrue(lo.contains("inet 127.0.0.1/8"), lo);
    withoutLoopback.detach(attachment(id, netns, List.of()));
    assertFalse(Files.exists(cacheDir.resolve(id + ".json")), "DEL needs no loopback either");
  }

  @Test
  void attachingTwiceIsRefusedAndKeepsTheFirstAttachment() throws Exception {
    String id = sandbox();
    Path netns = namespaces.create(id);
    String ip = cni.attach(attachment(id, netns, List.of())).ips().getFirst();

    CniException e = assertThrows(CniException.class, () -> cni.attach(attachment(id, netns, List.of())));

    assertTrue(e.getMessage().contains("already attached"), e.getMessage());
    assertTrue(nsenter(netns, "ip", "-o", "-4", "addr", "show", "dev", "eth0").output().contains(ip));
  }

  // ---- helpers ----

  String sandbox() {
    String id = "sb" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    sandboxes.add(id);
    return id;
  }

  static CniAttachment attachment(String id, Path netns, List<PortMapping> ports) {
    return new CniAttachment(id, netns, "eth0", "pod-" + id.substring(0, 6), "default", "uid-" + id, ports);
  }

  String conflist(String name, String secondPlugin) {
    return """
        {
          "cniVersion": "1.0.0",
          "name": "%s",
          "plugins": [
            {
              "type": "bridge",
              "bridge": "%s",
              "isGateway": true,
              "ipMasq": false,
              "ipam": {
                "type": "host-local",
                "dataDir": "%s",
                "ranges": [[{"subnet": "%s0/24"}]],
                "routes": [{"dst": "0.0.0.0/0"}]
              }
            },
            {"type": "%s", "capabilities": {"portMappings": true}}
          ]
        }
        """.formatted(name, bridge, ipamDir, subnetPrefix, secondPlugin);
  }

  static int freeHostPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The listener starts in its own time; a refused connection just means "not yet". */
  static void sendWithRetry(String host, int port, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), 2000);
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  static boolean natRulesMention(String id) throws Exception {
    return run("iptables-save", "-t", "nat").output().contains("id: \\\"" + id + "\\\"");
  }

  /**
   * portmap's DEL removes its per-pod chain but keeps the shared CNI-HOSTPORT-* chains and their
   * jumps. Remove those only when this test created them and no one else's rules are in them.
   */
  void removePortmapChainsIfOurs() throws Exception {
    if (portmapChainsExisted) {
      return;
    }
    String rules = run("iptables", "-t", "nat", "-S").output();
    if (rules.lines().anyMatch(line -> line.startsWith("-A CNI-HOSTPORT-DNAT "))) {
      System.err.println("cleanup: CNI-HOSTPORT-DNAT still holds rules; leaving portmap's chains");
      return;
    }
    for (String line : rules.lines().toList()) {
      boolean jump = Stream.of(PORTMAP_CHAINS).anyMatch(chain -> line.endsWith("-j " + chain));
      if (line.startsWith("-A ") && jump && !line.startsWith("-A CNI-")) {
        List<String> args = new ArrayList<>(List.of("iptables", "-t", "nat", "-D"));
        args.addAll(shellWords(line.substring(3)));
        run(args.toArray(String[]::new));
      }
    }
    for (String chain : PORTMAP_CHAINS) {
      run("iptables", "-t", "nat", "-F", chain);
      run("iptables", "-t", "nat", "-X", chain);
    }
  }

  /** iptables -S quotes comments with double quotes; nothing else needs undoing. */
  static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    boolean inWord = false;
    for (char c : line.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
        inWord = true;
      } else if (c == ' ' && !quoted) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  record Result(int status, String output) {}

  static Result nsenter(Path netns, String... command) throws Exception {
    List<String> args = new ArrayList<>(List.of("nsenter", "--net=" + netns));
    args.addAll(List.of(command));
    return run(args.toArray(String[]::new));
  }

  static Result run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " did not finish");
    }
    return new Result(process.exitValue(), output);
  }
}
