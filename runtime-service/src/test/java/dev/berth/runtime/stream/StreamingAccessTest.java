package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.AttachRequest;
import dev.berth.cri.v1.ExecRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.PortForwardRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.runtime.testing.PodTestCase;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who may open a stream: only the holder of a token the CRI call issued, once, for that kind of
 * stream and while its target lives. Everything else gets a 4xx answer and starts nothing.
 * (StreamingTest covers a reused exec token, an exec token at /attach and an unknown token over
 * SPDY; StreamTokenExpiryTest covers expiry.)
 */
@Tag("integration")
@Timeout(300)
class StreamingAccessTest extends PodTestCase {
  private static final List<String> V4 = List.of("v4.channel.k8s.io");

  private static String podId;
  private static String sleeper;

  @BeforeAll
  static void startSleeper() {
    podId = env.runPod();
    sleeper = env.runContainer(podId, env.containerConfig("sleeper", "sleep", "3600")
        .setStdin(true).build());
  }

  /** An exec URL whose command leaves a trace in the container if it ever runs. */
  private static String markerExecUrl(String container, String marker) {
    return env.runtime().exec(ExecRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", "echo ran >> /tmp/" + marker)).setStdout(true).build()).getUrl();
  }

  private static boolean ran(String marker) {
    ExecSyncResponse response = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(sleeper)
        .addAllCmd(List.of("sh", "-c", "[ -e /tmp/" + marker + " ] && echo ran || echo not-run")).setTimeout(30).build());
    return response.getStdout().toStringUtf8().trim().equals("ran");
  }

  private static String base() {
    URI uri = URI.create(env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).build()).getUrl());
    return "http://" + uri.getHost() + ":" + uri.getPort();
  }

  private static int spdy(String url) throws Exception {
    try (SpdyTestClient client = new SpdyTestClient()) {
      return client.connect(url, V4);
    }
  }

  private static int webSocket(String url) {
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      return client.connect(url, V4);
    }
  }

  private static String token(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }

  @Test
  void pathsWithoutATokenAreRefused() throws Exception {
    String base = base();
    for (String path : List.of("/", "/exec", "/exec/", "/attach/", "/portforward/", "/exec//", "/metrics", "/healthz")) {
      assertEquals(404, spdy(base + path), path);
    }
  }

  @Test
  void garbageTokensAreRefusedOverBothTransports() throws Exception {
    String base = base();
    for (String token : List.of("x", "AAAAAAAAAAAAAAAAAAAAAA", "%2e%2e%2fattach", "A".repeat(4000), "..")) {
      assertEquals(404, spdy(base + "/exec/" + token), token);
      assertEquals(404, webSocket(base + "/exec/" + token), token);
    }
  }

  @Test
  void aValidTokenWithExtraPathOrDotDotIsRefusedAndBurnsNothing() throws Exception {
    String url = markerExecUrl(sleeper, "extra");
    assertEquals(404, spdy(url + "/extra"));
    assertEquals(404, spdy(base() + "/attach/../exec/" + token(url)));
    // Neither form named the token as a path of its own; it still works, once.
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, V4));
      client.open("error");
      client.open("stdout");
      client.awaitClosed(java.time.Duration.ofSeconds(20));
    }
    assertTrue(ran("extra"));
  }

  @Test
  void aTokenRedeemedAtTheWrongKindIsSpentAndStartsNothing() throws Exception {
    String url = markerExecUrl(sleeper, "wrongkind");
    assertEquals(404, webSocket(url.replace("/exec/", "/portforward/")));
    assertEquals(404, spdy(url), "the token went with the refused request");
    assertFalse(ran("wrongkind"));
  }

  @Test
  void attachAndPortForwardTokensWorkOnceOverEitherTransport() throws Exception {
    String attach = env.runtime().attach(AttachRequest.newBuilder().setContainerId(sleeper).setStdin(true)
        .setStdout(true).build()).getUrl();
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(101, client.connect(attach, V4));
    }
    assertEquals(404, webSocket(attach));
    assertEquals(404, spdy(attach));

    String forward = env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).build()).getUrl();
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(forward, List.of("portforward.k8s.io")));
    }
    assertEquals(404, spdy(forward));
    assertEquals(404, webSocket(forward + "?port=80"));
  }

  @Test
  void aTokenForAContainerThatIsGoneIsRefused() throws Exception {
    String doomed = env.runContainer(podId, env.containerConfig("doomed", "sleep", "3600").build());
    String url = markerExecUrl(doomed, "gone");
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(doomed).setTimeout(0).build());
    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(doomed).build());
    assertEquals(404, spdy(url));
    String stopped = env.runContainer(podId, env.containerConfig("stopped", "sleep", "3600").build());
    String attach = env.runtime().attach(AttachRequest.newBuilder().setContainerId(stopped).setStdout(true).build()).getUrl();
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(stopped).setTimeout(0).build());
    assertEquals(404, webSocket(attach));
  }

  @Test
  void aPortForwardTokenForAPodThatIsGoneIsRefused() throws Exception {
    String pod = env.runPod();
    String url = env.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).build()).getUrl();
    env.runtime().stopPodSandbox(dev.berth.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(dev.berth.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(404, client.connect(url, List.of("portforward.k8s.io")));
    }
  }
}
