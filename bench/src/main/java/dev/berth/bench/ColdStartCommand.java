package dev.berth.bench;

import dev.berth.bench.workload.BenchOptions;
import dev.berth.bench.workload.ClientWarmUp;
import dev.berth.bench.workload.ColdStart;
import dev.berth.bench.workload.Target;
import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench cold-start}: started before the daemon, it warms its own client, creates
 * {@code --ready-file}, waits for the launcher to write the daemon's launch time (epoch
 * nanoseconds, as {@code date +%s%N} prints it) into {@code --launched-file}, then measures the
 * fresh daemon (see {@link ColdStart}) and writes the result as JSON.
 */
@Command(name = "cold-start", description = "Time a daemon being started: first answer, first pod, first relist.")
final class ColdStartCommand implements Callable<Integer> {

  @Option(names = "--target", required = true, paramLabel = "SPEC", description = "As for run: name=N,socket=PATH[,cgroup-parent=P].")
  String target;

  @Option(names = "--ready-file", required = true, description = "Created once this JVM is ready to time the daemon.")
  Path readyFile;

  @Option(names = "--launched-file", required = true, description = "Where the launcher writes the launch time (date +%s%N).")
  Path launchedFile;

  @Option(names = "--result", required = true, paramLabel = "FILE", description = "The JSON result, for run's cold=FILE.")
  Path result;

  @Option(names = "--image", defaultValue = "docker.io/library/busybox:bench", description = "The busybox image (default ${DEFAULT-VALUE}).")
  String image;

  @Option(names = "--work", required = true, description = "Scratch directory (the pod's log directory).")
  Path work;

  @Option(names = "--timeout-seconds", defaultValue = "120", description = "How long the daemon may take to answer.")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    Target parsed = Target.parse(target);
    BenchOptions options = new BenchOptions(1, 1, 1, 1, 0, 0, 0, 0, 0, image, Files.createDirectories(work));
    warmClient();
    Files.createFile(readyFile);
    Instant launched = launchTime(Duration.ofSeconds(timeoutSeconds));
    ColdStart.Result measured = ColdStart.measure(parsed, options, launched, Duration.ofSeconds(timeoutSeconds));
    measured.write(result);
    System.err.printf("bench: cold-start %s: first answer %.0f ms, first pod %.0f ms, first relist+stats %.0f ms%n",
        parsed.name(), measured.firstAnswerMs(), measured.firstPodMs(), measured.firstRelistMs());
    return 0;
  }

  /**
   * A call to a socket nobody serves loads the client's classes for a refused connection (the
   * measurement's polls before the daemon listens); {@link ClientWarmUp} runs the path of a call
   * that is answered. Neither belongs in the daemon's time to its first answer.
   */
  private void warmClient() throws IOException, InterruptedException {
    try (CriClient client = CriClient.connect(work.resolve("nobody.sock"))) {
      client.runtime(Duration.ofSeconds(5)).version(VersionRequest.getDefaultInstance());
    } catch (StatusRuntimeException expected) {
      // UNAVAILABLE: no server, which is the point.
    }
    ClientWarmUp.run(work);
  }

  private Instant launchTime(Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (Files.exists(launchedFile)) {
        String text = Files.readString(launchedFile);
        if (text.endsWith("\n")) {
          long nanos = Long.parseLong(text.strip());
          return Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
        }
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("no launch time in " + launchedFile + " within " + timeout);
  }
}
