package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.StatusRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.runtime.testing.DaemonProcess;
import dev.berth.runtime.testing.ShortTempDirs;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Start, refusal, signals and restarts of real daemon processes. */
@Tag("integration")
@Timeout(180)
class DaemonLifecycleTest {

  @TempDir(factory = ShortTempDirs.class)
  Path dir;

  @Test
  void secondDaemonOnTheSameRootIsRefusedNamingTheHolder() throws Exception {
    try (DaemonProcess first = DaemonProcess.start(dir.resolve("first"))) {
      // Same root, its own socket: only the root lock can refuse it.
      try (DaemonProcess second = DaemonProcess.launch(dir.resolve("second"),
          "--root", first.root().toString())) {
        assertEquals(1, second.awaitExit(Duration.ofSeconds(60)));
        String output = second.output();
        assertTrue(output.contains("root " + first.root() + " is in use by another berth daemon (pid "
            + first.pid() + ","), output);
        assertFalse(Files.exists(second.socket()), "the refused daemon must not leave a socket");
      }
      // The first one is unharmed.
      assertEquals("berth", version(first.client()).getRuntimeName());
    }
  }

  @Test
  void secondDaemonOnAServedSocketIsRefusedAndLeavesItAlone() throws Exception {
    try (DaemonProcess first = DaemonProcess.start(dir.resolve("first"))) {
      try (DaemonProcess second = DaemonProcess.launch(dir.resolve("second"),
          "--socket", first.socket().toString())) {
        assertEquals(1, second.awaitExit(Duration.ofSeconds(60)));
        assertTrue(second.output().contains("socket " + first.socket() + " is already served"), second.output());
      }
      assertEquals("berth", version(first.client()).getRuntimeName());
    }
  }

  @Test
  void sigtermLetsAnInFlightCallFinishThenExitsZero() throws Exception {
    Path config = dir.resolve("berth.toml");
    Files.writeString(config, "shutdown_timeout_seconds = 60\n");
    try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("d"), "--config", config.toString())) {
      CriClient client = daemon.client();
      CompletableFuture<VersionResponse> reply = new CompletableFuture<>();
      CompletableFuture<Status> closed = new CompletableFuture<>();
      ClientCall<VersionRequest, VersionResponse> inFlight = startUnfinishedVersionCall(client, reply, closed);
      // A call on the same connection is answered only after the server has seen the first one's
      // headers, so the first call is now in flight on the server.
      version(client);

      daemon.terminate();
      Thread.sleep(1_000);
      assertTrue(daemon.process().isAlive(), "daemon must wait for the in-flight call");
      try (CriClient newcomer = CriClient.connect(daemon.socket())) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> version(newcomer));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      }

      inFlight.halfClose();
      assertEquals("berth", reply.get(30, TimeUnit.SECONDS).getRuntimeName());
      assertTrue(closed.get(30, TimeUnit.SECONDS).isOk());
      assertEquals(0, daemon.awaitExit(Duration.ofSeconds(30)), daemon.output());
      assertFalse(Files.exists(daemon.socket()), "socket removed on a clean stop");
    }
  }

  @Test
  void sigtermCancelsACallThatOutlivesTheShutdownTimeout() throws Exception {
    Path config = dir.resolve("berth.toml");
    Files.writeString(config, "shutdown_timeout_seconds = 1\n");
    try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("d"), "--config", config.toString())) {
      CompletableFuture<Status> closed = new CompletableFuture<>();
      startUnfinishedVersionCall(daemon.client(), new CompletableFuture<>(), closed);
      version(daemon.client());

      daemon.terminate();
      assertEquals(0, daemon.awaitExit(Duration.ofSeconds(30)), daemon.output());
      assertNotEquals(Status.Code.OK, closed.get(30, TimeUnit.SECONDS).getCode());
      assertTrue(daemon.output().contains("cancelling"), daemon.output());
    }
  }

  @Test
  void daemonKilledWithSigkillCanBeStartedAgainOnTheSameRootAndSocket() throws Exception {
    Path daemonDir = dir.resolve("d");
    try (DaemonProcess first = DaemonProcess.start(daemonDir)) {
      first.process().destroyForcibly();
      first.awaitExit(Duration.ofSeconds(30));
      assertTrue(Files.exists(first.socket()), "SIGKILL leaves the socket file behind");
    }
    try (DaemonProcess second = DaemonProcess.start(daemonDir)) {
      assertTrue(second.client().runtime(Duration.ofSeconds(10))
          .status(StatusRequest.getDefaultInstance()).getStatus().getConditions(0).getStatus());
    }
  }

  @Test
  void badConfigFileStopsTheDaemonWithAMessageNamingTheKey() throws Exception {
    Path config = dir.resolve("berth.toml");
    Files.writeString(config, "sokcet = \"/run/x.sock\"\n");
    try (DaemonProcess daemon = DaemonProcess.launch(dir.resolve("d"), "--config", config.toString())) {
      assertEquals(2, daemon.awaitExit(Duration.ofSeconds(60)));
      assertTrue(daemon.output().contains("unknown key 'sokcet'"), daemon.output());
      assertFalse(Files.exists(daemon.socket()));
    }
  }

  private static VersionResponse version(CriClient client) {
    return client.runtime(Duration.ofSeconds(10)).version(VersionRequest.getDefaultInstance());
  }

  /** Sends a Version request without half-closing: the server holds the call open until we do. */
  private static ClientCall<VersionRequest, VersionResponse> startUnfinishedVersionCall(
      CriClient client, CompletableFuture<VersionResponse> reply, CompletableFuture<Status> closed) {
    ClientCall<VersionRequest, VersionResponse> call =
        client.channel().newCall(RuntimeServiceGrpc.getVersionMethod(), CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(VersionResponse message) {
        reply.complete(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(VersionRequest.getDefaultInstance());
    return call;
  }
}
