package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.AttachRequest;
import dev.berth.cri.v1.ExecRequest;
import dev.berth.cri.v1.PortForwardRequest;
import dev.berth.runtime.testing.PodTestCase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Exec, attach and port forward over the WebSocket forms of the protocols, against real containers. */
@Tag("integration")
class WebSocketStreamingTest extends PodTestCase {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String SUCCESS = "{\"metadata\":{},\"status\":\"Success\"}";

  private static String podId;
  private static String sleeper;

  @BeforeAll
  static void startSleeper() {
    podId = env.runPod();
    sleeper = env.runContainer(podId, env.containerConfig("sleeper", "sleep", "3600").build());
  }

  private static String execUrl(boolean stdin, String... cmd) {
    return env.runtime().exec(ExecRequest.newBuilder().setContainerId(sleeper).addAllCmd(List.of(cmd))
        .setStdin(stdin).setStdout(true).setStderr(true).build()).getUrl();
  }

  @Test
  void execWithoutTtyReportsOutputAndTheExitCodeOnTheErrorChannel() throws Exception {
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(execUrl(false, "sh", "-c", "echo out; echo err >&2; exit 3"),
          List.of("v4.channel.k8s.io")));
      assertEquals("v4.channel.k8s.io", client.subprotocol());
      assertEquals(1000, client.awaitClosed(WAIT));
      assertEquals("out\n", client.text(1));
      assertEquals("err\n", client.text(2));
      String status = client.text(3);
      assertTrue(status.contains("\"reason\":\"NonZeroExitCode\"") && status.contains("\"message\":\"3\""), status);
    }
  }

  @Test
  void execOverV5EndsWhenTheClientClosesStdin() throws Exception {
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(execUrl(true, "cat"), List.of("v5.channel.k8s.io", "v4.channel.k8s.io")));
      assertEquals("v5.channel.k8s.io", client.subprotocol());
      client.send(0, "hello\n");
      client.awaitText(1, "hello\n", WAIT);
      client.send(255, new byte[] {0});
      assertEquals(1000, client.awaitClosed(WAIT));
      assertEquals(SUCCESS, client.text(3));
      assertEquals("hello\n", client.text(1));
    }
  }

  @Test
  void attachSeesTheContainersTerminalAndItsExitEndsTheConnection() throws Exception {
    String shell = env.runContainer(podId, env.containerConfig("ws-shell", "sh").setStdin(true).setTty(true).build());
    String url = env.runtime().attach(AttachRequest.newBuilder().setContainerId(shell)
        .setStdin(true).setStdout(true).setTty(true).build()).getUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(url, List.of("v5.channel.k8s.io")));
      client.send(4, "{\"Width\":100,\"Height\":30}");
      Thread.sleep(200);
      client.send(0, "echo attached-$((6*7))\n");
      client.awaitText(1, "attached-42", WAIT);
      client.send(0, "exit\n");
      assertEquals(1000, client.awaitClosed(WAIT));
      assertEquals(SUCCESS, client.text(3));
    }
    env.awaitExit(shell);
  }

  @Test
  void portForwardReachesAServerInThePodAndNamesThePortFirst() throws Exception {
    env.runContainer(podId, env.containerConfig("ws-web", "httpd", "-f", "-p", "8081", "-h", "/etc").build());
    String url = env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId)
        .addPort(8081).build()).getUrl();
    Thread.sleep(300); // httpd binding its port
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(url + "?port=8081", List.of("v4.channel.k8s.io")));
      client.send(0, "GET /hostname HTTP/1.0\r\n\r\n");
      assertEquals(1000, client.awaitClosed(WAIT));
      byte[] port = {(byte) (8081 & 0xFF), (byte) (8081 >> 8)};
      assertArrayEquals(port, client.firstMessage(0));
      assertArrayEquals(port, client.firstMessage(1));
      String response = client.text(0).substring(2);
      assertTrue(response.startsWith("HTTP/1.") && response.contains("pod"), response);
    }
  }

  @Test
  void execWithTtyTakesResizesFromTheResizeChannel() throws Exception {
    String url = env.runtime().exec(ExecRequest.newBuilder().setContainerId(sleeper).addAllCmd(List.of("sh"))
        .setStdin(true).setStdout(true).setTty(true).build()).getUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(url, List.of("v5.channel.k8s.io")));
      client.send(4, "{\"Width\":123,\"Height\":45}");
      Thread.sleep(200);
      client.send(0, "stty size; exit 7\n");
      client.awaitText(1, "45 123", WAIT);
      assertEquals(1000, client.awaitClosed(WAIT));
      assertTrue(client.text(3).contains("\"message\":\"7\""), client.text(3));
    }
  }

  @Test
  void portForwardToAClosedPortReportsOnTheErrorChannel() throws Exception {
    String url = env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).build()).getUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(url + "?port=9", List.of("v4.channel.k8s.io")));
      assertEquals(1000, client.awaitClosed(WAIT));
      assertTrue(client.text(1).contains("error forwarding port 9"), client.text(1));
    }
  }

  @Test
  void aPortForwardWithoutPortsIsRefused() throws Exception {
    String url = env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).build()).getUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(400, client.connect(url, List.of("v4.channel.k8s.io")));
    }
  }

  @Test
  void aSubprotocolTheServerDoesNotSpeakIsRefused() throws Exception {
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(403, client.connect(execUrl(false, "true"), List.of("v9.channel.k8s.io")));
    }
  }
}
