package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecRequest;
import dev.berth.runtime.testing.PodTestCase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Exec, attach and port forward through the streaming server against real containers. */
@Tag("integration")
class StreamingTest extends PodTestCase {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<String> V4 = List.of("v4.channel.k8s.io", "v3.channel.k8s.io");

  private static String podId;
  private static String sleeper;

  @BeforeAll
  static void startSleeper() {
    podId = env.runPod();
    sleeper = env.runContainer(podId, env.containerConfig("sleeper", "sleep", "3600").build());
  }

  private static String execUrl(boolean stdin, boolean tty, String... cmd) {
    return env.runtime().exec(ExecRequest.newBuilder().setContainerId(sleeper).addAllCmd(List.of(cmd))
        .setStdin(stdin).setStdout(true).setStderr(!tty).setTty(tty).build()).getUrl();
  }

  @Test
  void execWithoutTtyReportsOutputAndExitCode() throws Exception {
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(execUrl(false, false, "sh", "-c", "echo out; echo err >&2; exit 3"), V4));
      int error = client.open("error");
      int stdout = client.open("stdout");
      int stderr = client.open("stderr");
      String status = client.awaitEnd(error, WAIT);
      assertEquals("out\n", client.awaitEnd(stdout, WAIT));
      assertEquals("err\n", client.awaitEnd(stderr, WAIT));
      assertTrue(status.contains("\"reason\":\"NonZeroExitCode\"") && status.contains("\"message\":\"3\""), status);
      assertTrue(client.awaitClosed(WAIT));
    }
  }

  @Test
  void execWithStdinEndsWhenTheClientClosesStdin() throws Exception {
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(execUrl(true, false, "cat"), V4));
      int error = client.open("error");
      int stdin = client.open("stdin");
      int stdout = client.open("stdout");
      client.open("stderr");
      client.send(stdin, "hello\n");
      client.awaitText(stdout, "hello\n", WAIT);
      client.finish(stdin);
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.awaitEnd(error, WAIT));
    }
  }

  @Test
  void execWithTtyEchoesAndResizes() throws Exception {
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(execUrl(true, true, "sh"), V4));
      int error = client.open("error");
      int stdin = client.open("stdin");
      int stdout = client.open("stdout");
      int resize = client.open("resize");
      client.send(resize, "{\"Width\":123,\"Height\":45}");
      Thread.sleep(200);
      client.send(stdin, "stty size; exit 7\n");
      client.awaitText(stdout, "45 123", WAIT);
      String status = client.awaitEnd(error, WAIT);
      assertTrue(status.contains("\"message\":\"7\""), status);
    }
  }

  @Test
  void attachSeesTheContainersTerminalAndItsExitEndsTheStream() throws Exception {
    String shell = env.runContainer(podId, env.containerConfig("shell", "sh").setStdin(true).setTty(true).build());
    String url = env.runtime().attach(dev.berth.cri.v1.AttachRequest.newBuilder().setContainerId(shell)
        .setStdin(true).setStdout(true).setTty(true).build()).getUrl();
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, V4));
      int error = client.open("error");
      int stdin = client.open("stdin");
      int stdout = client.open("stdout");
      client.open("resize");
      Thread.sleep(200);
      client.send(stdin, "echo attached-$((6*7))\n");
      client.awaitText(stdout, "attached-42", WAIT);
      client.send(stdin, "exit\n");
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.awaitEnd(error, WAIT));
    }
    env.awaitExit(shell);
  }

  @Test
  void portForwardReachesAServerInThePodOverConcurrentStreams() throws Exception {
    env.runContainer(podId, env.containerConfig("web", "httpd", "-f", "-p", "8080", "-h", "/etc").build());
    String url = env.runtime().portForward(dev.berth.cri.v1.PortForwardRequest.newBuilder().setPodSandboxId(podId)
        .addPort(8080).build()).getUrl();
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, List.of("portforward.k8s.io")));
      Thread.sleep(300); // httpd binding its port
      int[] data = new int[3];
      for (int i = 0; i < data.length; i++) {
        client.open(java.util.Map.of("streamtype", "error", "port", "8080", "requestid", Integer.toString(i)));
        data[i] = client.open(java.util.Map.of("streamtype", "data", "port", "8080", "requestid", Integer.toString(i)));
      }
      for (int stream : data) {
        client.send(stream, "GET /hostname HTTP/1.0\r\n\r\n");
        client.finish(stream);
      }
      for (int stream : data) {
        String response = client.awaitEnd(stream, WAIT);
        assertTrue(response.startsWith("HTTP/1.") && response.contains("pod"), response);
      }
    }
  }

  @Test
  void portForwardToAClosedPortReportsOnTheErrorStream() throws Exception {
    String url = env.runtime().portForward(dev.berth.cri.v1.PortForwardRequest.newBuilder().setPodSandboxId(podId)
        .build()).getUrl();
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, List.of("portforward.k8s.io")));
      int error = client.open(java.util.Map.of("streamtype", "error", "port", "9", "requestid", "0"));
      client.open(java.util.Map.of("streamtype", "data", "port", "9", "requestid", "0"));
      assertTrue(client.awaitEnd(error, WAIT).contains("error forwarding port 9"));
    }
  }

  @Test
  void aTokenWorksOnce() throws Exception {
    String url = execUrl(false, false, "true");
    try (SpdyTestClient first = new SpdyTestClient()) {
      assertEquals(101, first.connect(url, V4));
    }
    try (SpdyTestClient second = new SpdyTestClient()) {
      assertEquals(404, second.connect(url, V4));
    }
  }

  @Test
  void aTokenForAnotherKindOfStreamIsRefused() throws Exception {
    String url = execUrl(false, false, "true").replace("/exec/", "/attach/");
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(404, client.connect(url, V4));
    }
  }

  @Test
  void anUnknownTokenIsRefused() throws Exception {
    String url = execUrl(false, false, "true");
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(404, client.connect(url.substring(0, url.lastIndexOf('/') + 1) + "AAAAAAAAAAAAAAAAAAAAAA", V4));
    }
  }
}
