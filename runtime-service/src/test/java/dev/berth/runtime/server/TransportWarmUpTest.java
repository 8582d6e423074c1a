package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import dev.berth.runtime.testing.ShortTempDirs;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The start's throwaway Version call, through a real CRI server on a unix socket. */
@Timeout(60)
class TransportWarmUpTest {

  @TempDir(factory = ShortTempDirs.class)
  Path dir;

  @Test
  void theHandWrittenCallReachesVersionWithTheKubeletsRequestAndItsAnswerEnds() throws Exception {
    AtomicReference<VersionRequest> received = new AtomicReference<>();
    Path socket = dir.resolve("cri.sock");
    CriServer server = CriServer.start(socket, List.of(new RuntimeServiceGrpc.RuntimeServiceImplBase() {
      @Override
      public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
        received.set(request);
        response.onNext(VersionResponse.newBuilder().setRuntimeName("test-runtime").build());
        response.onCompleted();
      }
    }));
    try {
      assertTrue(TransportWarmUp.callVersion(socket), "the answer's stream did not end");
    } finally {
      server.stop(Duration.ofSeconds(5));
    }

    assertEquals("v1", received.get().getVersion());
  }

  @Test
  void itServesItselfAndLeavesNothingBehind() throws Exception {
    assertTrue(TransportWarmUp.run(dir), "the warm-up's Version was not answered");

    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void aParentItCannotWriteInEndsTheWarmUpWithoutAnAnswer() {
    assertFalse(TransportWarmUp.run(dir.resolve("missing")));
  }
}
