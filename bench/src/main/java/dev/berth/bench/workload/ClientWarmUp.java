package dev.berth.bench.workload;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.cri.v1.VersionResponse;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Warms a bench JVM's CRI client before it times a fresh daemon ({@link ColdStart}): the client's
 * whole path to an answer (connect, HTTP/2 preface and settings, headers, a unary call, the
 * response), against a throwaway server in this JVM that answers Version, with a fresh
 * connection per call as {@link ColdStart} makes them.
 *
 * <p>Why: a call to a socket nobody serves warms only the path to a refused connection. The first
 * call that succeeds then ran the client's HTTP/2 and call code for the first time, inside the
 * timed "start to first answer", for every runtime alike: against a Berth daemon that had already
 * answered once (so nothing of the daemon's first call was left), a fresh bench JVM's first answer
 * still took 1.2-2.3 s on the shared 2-core VM at load 16-21, and the bench JVM spent 450-590 ms of
 * CPU between the launch and that answer; after these calls, 10-60 ms (three starts each). In a
 * real cold start that CPU competed with the daemon's own start for the node's 2 cores: 510-670
 * ms of the bench's CPU inside the timed first answer before, 90-120 ms after (four alternating
 * starts each; bench/README.md, 2026-12-07 13:40).
 */
public final class ClientWarmUp {

  /** Enough fresh connections for the client's per-call code to be past its first runs. */
  static final int CALLS = 5;

  private ClientWarmUp() {}

  /**
   * Runs the calls against a server on a socket below {@code work}, then stops it and removes the
   * socket; returns how many were answered.
   */
  public static int run(Path work) throws IOException, InterruptedException {
    Path socket = work.resolve("warm-up.sock");
    Files.deleteIfExists(socket);
    EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loop)
        .workerEventLoopGroup(loop)
        .addService(new VersionOnly())
        .build()
        .start();
    int answered = 0;
    try {
      for (int i = 0; i < CALLS; i++) {
        try (CriClient client = CriClient.connect(socket)) {
          client.runtime(Duration.ofSeconds(5)).version(VersionRequest.getDefaultInstance());
          answered++;
        }
      }
    } catch (StatusRuntimeException e) {
      // A warm-up that fails leaves the client as cold as before; the measurement still runs.
      System.err.println("bench: client warm-up call failed: " + e.getStatus());
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
      Files.deleteIfExists(socket);
    }
    return answered;
  }

  /** Version alone: every other method answers UNIMPLEMENTED, as the generated base does. */
  private static final class VersionOnly extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
      response.onNext(VersionResponse.newBuilder().setVersion("0.1.0").setRuntimeName("bench-warm-up").build());
      response.onCompleted();
    }
  }
}
