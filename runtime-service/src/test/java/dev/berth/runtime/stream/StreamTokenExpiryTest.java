package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.cri.v1.AttachRequest;
import dev.berth.cri.v1.ExecRequest;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.runtime.testing.PodTestEnv;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Streaming URLs die with their token's time to live, set short here through the daemon's config. */
@Tag("integration")
@Timeout(300)
class StreamTokenExpiryTest {
  private static final int TTL_SECONDS = 3;
  private static final List<String> V4 = List.of("v4.channel.k8s.io");

  private static PodTestEnv env;
  private static String sleeper;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.startWithTopLevelConfig("streaming_token_ttl_seconds = " + TTL_SECONDS);
    sleeper = env.runContainer(env.runPod(), env.containerConfig("sleeper", "sleep", "3600").build());
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  private static String markerExecUrl(String marker) {
    return env.runtime().exec(ExecRequest.newBuilder().setContainerId(sleeper)
        .addAllCmd(List.of("sh", "-c", "echo ran >> /tmp/" + marker)).setStdout(true).build()).getUrl();
  }

  private static String trace(String marker) {
    return env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(sleeper)
        .addAllCmd(List.of("sh", "-c", "cat /tmp/" + marker + " 2>/dev/null || echo not-run")).setTimeout(30).build())
        .getStdout().toStringUtf8().trim();
  }

  @Test
  void aTokenUsedWithinItsLifetimeRunsItsCommand() throws Exception {
    String url = markerExecUrl("fresh");
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(101, client.connect(url, V4));
      int error = client.open("error");
      client.open("stdout");
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.awaitEnd(error, Duration.ofSeconds(20)));
    }
    assertEquals("ran", trace("fresh"));
  }

  @Test
  void anExpiredTokenIsRefusedAndItsCommandNeverRuns() throws Exception {
    String exec = markerExecUrl("expired");
    String attach = env.runtime().attach(AttachRequest.newBuilder().setContainerId(sleeper).setStdout(true).build())
        .getUrl();
    Thread.sleep(Duration.ofSeconds(TTL_SECONDS + 2));
    try (SpdyTestClient client = new SpdyTestClient()) {
      assertEquals(404, client.connect(exec, V4));
    }
    try (WebSocketTestClient client = new WebSocketTestClient()) {
      assertEquals(404, client.connect(attach, V4));
    }
    assertEquals("not-run", trace("expired"));
  }
}
