package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PortForwardRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.runtime.testing.PodTestEnv;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile streaming clients against a real daemon: a port forward pushing far more than its pod
 * reads, a URL naming one port 120 times, and connections that never finish their request or
 * go quiet. The daemon stays bounded, spawns nothing, and cuts them off.
 */
@Tag("integration")
@Timeout(600)
class PortForwardHostileClientTest {
  private static final int HANDSHAKE_TIMEOUT_SECONDS = 2;
  private static final int IDLE_TIMEOUT_SECONDS = 12;
  private static final long PUSH_BYTES = 200L * 1024 * 1024;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static PodTestEnv env;
  private static String podId;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.startWithTopLevelConfig("streaming_handshake_timeout_seconds = " + HANDSHAKE_TIMEOUT_SECONDS
        + "\nstreaming_idle_timeout_seconds = " + IDLE_TIMEOUT_SECONDS);
    podId = env.runPod();
    // Accepts one connection and hands it to sleep, which never reads a byte of it.
    for (int port : new int[] {8080, 8081}) {
      env.runContainer(podId, env.containerConfig("never-reads-" + port, "nc", "-l", "-p", Integer.toString(port),
          "-e", "sleep", "3600").build());
    }
    // Sends zeros without end to whoever connects.
    env.runContainer(podId, env.containerConfig("sends-forever", "nc", "-l", "-p", "8082", "-e", "cat", "/dev/zero")
        .build());
    Thread.sleep(1000); // nc binding its ports
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  private static String portForwardUrl() {
    return env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).build()).getUrl();
  }

  private static long daemonRssKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(env.daemon().pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for the daemon");
  }

  /**
   * Bytes in the kernel's queues (sent but not taken, received but not read) of the TCP sockets
   * that use {@code port}, in the network namespace {@code netns} (the test's own when null).
   */
  private static long kernelQueuedBytes(String netns, int port) throws Exception {
    // Both tables: the streaming server's socket is dual-stack, so its connections are in tcp6.
    List<String> command = netns == null ? List.of("cat", "/proc/net/tcp", "/proc/net/tcp6")
        : List.of("nsenter", "--net=" + netns, "cat", "/proc/net/tcp", "/proc/net/tcp6");
    Process cat = new ProcessBuilder(command).redirectErrorStream(true).start();
    String table = new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertEquals(0, cat.waitFor(), table);
    String hexPort = String.format(":%04X", port);
    long queued = 0;
    for (String line : table.lines().filter(l -> !l.trim().startsWith("sl")).toList()) {
      String[] fields = line.trim().split("\\s+");
      if (fields[1].endsWith(hexPort) || fields[2].endsWith(hexPort)) {
        String[] queues = fields[4].split(":");
        queued += Long.parseLong(queues[0], 16) + Long.parseLong(queues[1], 16);
      }
    }
    return queued;
  }

  /** Every process below the daemon, by pid and command line. */
  private static Set<String> daemonDescendants() {
    return ProcessHandle.of(env.daemon().pid()).orElseThrow().descendants()
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).collect(Collectors.toSet());
  }

  /** The daemon answers CRI calls within generous bounds. */
  private static void assertDaemonAnswers() {
    env.runtime().withDeadlineAfter(10, TimeUnit.SECONDS).version(VersionRequest.getDefaultInstance());
    env.runtime().withDeadlineAfter(10, TimeUnit.SECONDS).listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
  }

  /** Sends one chunk of a push, returning once the transport has taken it. */
  @FunctionalInterface
  private interface Chunks {
    void send(byte[] chunk) throws Exception;
  }

  /**
   * Pushes up to {@link #PUSH_BYTES} at a pod port whose server never reads, until the push
   * stalls; then checks that what the client got rid of is in the kernel's socket queues (client
   * to daemon, daemon to pod) and that only a bounded window of it is in the daemon, that the
   * daemon spawned nothing and answers calls. Returns the figures.
   */
  private static String assertHeldBack(String url, int podPort, Chunks chunks, Set<String> processesBefore,
      long rssBefore) throws Exception {
    AtomicLong pushed = new AtomicLong();
    AtomicReference<Throwable> pushFailed = new AtomicReference<>();
    byte[] chunk = new byte[64 * 1024];
    Thread pusher = Thread.ofPlatform().name("push").start(() -> {
      try {
        while (pushed.get() < PUSH_BYTES) {
          chunks.send(chunk);
          pushed.addAndGet(chunk.length);
        }
      } catch (Throwable t) {
        pushFailed.set(t);
      }
    });
    // The push has stalled once two seconds pass without progress (or it all went, which fails below).
    long last = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (pushed.get() != last && pushed.get() < PUSH_BYTES && System.nanoTime() < deadline) {
      last = pushed.get();
      Thread.sleep(2000);
    }
    long rssStalled = daemonRssKiB();
    long toDaemon = kernelQueuedBytes(null, URI.create(url).getPort());
    long toPod = kernelQueuedBytes(env.podRecordField(podId, "netnsPath"), podPort);
    long inDaemon = pushed.get() - toDaemon - toPod;
    Set<String> processesDuring = daemonDescendants();
    String figures = pushed.get() / 1024 + " KiB pushed; in kernel socket queues " + toDaemon / 1024
        + " KiB client to daemon and " + toPod / 1024 + " KiB daemon to pod; " + inDaemon / 1024
        + " KiB in the daemon; daemon RSS " + rssBefore / 1024 + " -> " + rssStalled / 1024 + " MiB";
    System.out.println("port forward push stalled: " + figures);
    assertDaemonAnswers();
    assertEquals(null, pushFailed.get(), "the push failed instead of being held back");
    assertTrue(pushed.get() < PUSH_BYTES / 2, "no back pressure: " + figures);
    assertTrue(inDaemon < 4 * 1024 * 1024, "the daemon holds what its pod never read: " + figures);
    assertTrue(processesBefore.containsAll(processesDuring), "the port forward spawned processes: "
        + processesDuring.stream().filter(p -> !processesBefore.contains(p)).toList());
    return figures;
  }

  @Test
  void aSpdyClientPushingFarMoreThanThePodReadsIsHeldBackWithoutGrowingTheDaemon() throws Exception {
    Set<String> processesBefore = daemonDescendants();
    long rssBefore = daemonRssKiB();
    String url = portForwardUrl();
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, List.of("portforward.k8s.io")));
      int error = client.open(Map.of("streamtype", "error", "port", "8080", "requestid", "0"));
      int data = client.open(Map.of("streamtype", "data", "port", "8080", "requestid", "0"));
      assertHeldBack(url, 8080, chunk -> client.send(data, chunk), processesBefore, rssBefore);
      assertEquals("", client.text(error), "the forwarded connection failed");
    }
    assertDaemonAnswers();
  }

  @Test
  void aWebSocketClientPushingFarMoreThanThePodReadsIsHeldBackWithoutGrowingTheDaemon() throws Exception {
    Set<String> processesBefore = daemonDescendants();
    long rssBefore = daemonRssKiB();
    String url = portForwardUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(url + "?port=8081", List.of("v4.channel.k8s.io")));
      assertHeldBack(url, 8081, chunk -> client.send(0, chunk), processesBefore, rssBefore);
      assertTrue(!client.text(1).contains("error"), "the forwarded connection failed: " + client.text(1));
    }
    assertDaemonAnswers();
  }

  @Test
  void aPodSendingWithoutEndToAClientThatReadsNothingIsHeldBack() throws Exception {
    Set<String> processesBefore = daemonDescendants();
    long rssBefore = daemonRssKiB();
    String url = portForwardUrl();
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, List.of("portforward.k8s.io")));
      client.stopReading();
      client.open(Map.of("streamtype", "error", "port", "8082", "requestid", "0"));
      client.open(Map.of("streamtype", "data", "port", "8082", "requestid", "0"));
      // A pod sending as fast as loopback goes would fill the daemon within these seconds.
      Thread.sleep(6000);
      long rssAfter = daemonRssKiB();
      long toClient = kernelQueuedBytes(null, URI.create(url).getPort());
      String figures = toClient / 1024 + " KiB waiting in kernel queues toward the client; daemon RSS "
          + rssBefore / 1024 + " -> " + rssAfter / 1024 + " MiB";
      System.out.println("port forward from a pod sending without end: " + figures);
      assertDaemonAnswers();
      assertTrue(toClient > 0, "nothing came from the pod: " + figures);
      assertTrue(rssAfter - rssBefore < 64 * 1024, "the daemon kept what its client did not read: " + figures);
      assertTrue(processesBefore.containsAll(daemonDescendants()), "the port forward spawned processes");
    }
    assertDaemonAnswers();
  }

  @Test
  void aPortForwardReachesThePodsLoopbackNeverTheHosts() throws Exception {
    try (java.net.ServerSocket hostOnly = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        SpdyTestClient client = new SpdyTestClient()) {
      String port = Integer.toString(hostOnly.getLocalPort());
      assertEquals(101, client.connect(portForwardUrl(), List.of("portforward.k8s.io")));
      int error = client.open(Map.of("streamtype", "error", "port", port, "requestid", "0"));
      client.open(Map.of("streamtype", "data", "port", port, "requestid", "0"));
      String message = client.awaitEnd(error, WAIT);
      assertTrue(message.contains("error forwarding port " + port) && message.contains("connection refused"), message);
    }
  }

  @Test
  void aUrlNamingOnePortAHundredAndTwentyTimesIsRefusedAndSpawnsNothing() throws Exception {
    Set<String> processesBefore = daemonDescendants();
    URI uri = URI.create(portForwardUrl());
    String ports = String.join("&", Collections.nCopies(120, "port=8080"));
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout((int) WAIT.toMillis());
      write(socket.getOutputStream(), "GET " + uri.getRawPath() + "?" + ports + " HTTP/1.1\r\n"
          + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
          + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n");
      String response = readToEnd(socket.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 400"), response);
      assertTrue(response.contains("at most " + WebSocketUpgrade.MAX_PORTS + " ports"), response);
    }
    assertEquals(processesBefore, daemonDescendants());
    assertDaemonAnswers();
  }

  @Test
  void aConnectionThatSendsHalfARequestIsClosedAtTheHandshakeTimeout() throws Exception {
    URI uri = URI.create(portForwardUrl());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout((int) WAIT.toMillis());
      long started = System.nanoTime();
      write(socket.getOutputStream(), "GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n");
      assertEquals(-1, socket.getInputStream().read(), "the server answered half a request");
      long waited = System.nanoTime() - started;
      assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(HANDSHAKE_TIMEOUT_SECONDS * 1000L - 500),
          "closed after " + waited / 1_000_000 + " ms, before the handshake timeout");
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the half-sent request was still open after " + WAIT, e);
    }
    assertDaemonAnswers();
  }

  @Test
  void anUpgradedConnectionThatGoesQuietIsClosedAtTheIdleTimeout() throws Exception {
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(portForwardUrl(), List.of("portforward.k8s.io")));
      long started = System.nanoTime();
      // Well past the handshake timeout, the upgraded connection is still open...
      Thread.sleep(TimeUnit.SECONDS.toMillis(HANDSHAKE_TIMEOUT_SECONDS * 2L));
      assertTrue(!client.awaitClosed(Duration.ZERO), "an upgraded connection was closed at the handshake timeout");
      // ...until it has been idle for the idle timeout.
      assertTrue(client.awaitClosed(Duration.ofSeconds(IDLE_TIMEOUT_SECONDS * 5L)), "never closed while idle");
      assertTrue(System.nanoTime() - started >= TimeUnit.SECONDS.toNanos(IDLE_TIMEOUT_SECONDS - 1));
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    in.transferTo(bytes);
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
