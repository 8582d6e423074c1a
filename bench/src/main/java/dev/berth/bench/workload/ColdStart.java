package dev.berth.bench.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.bench.report.Recorder;
import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * cold-start: what a kubelet meets from a daemon just started (after a node boot or a runtime
 * upgrade), with its images already on disk: the time from the daemon's launch to its first CRI
 * answer, then its first pod (RunPodSandbox + CreateContainer + StartContainer) and its first
 * relist with stats (of that one pod), each the first of its kind the daemon serves.
 *
 * <p>Only the process that launches the daemon knows when it did, so this runs in its own bench
 * JVM, started (and warmed) before the daemon ({@code bench cold-start}); its {@link Result} goes
 * to a JSON file that {@code bench run} reads back through the target's {@code cold=FILE}.
 */
public final class ColdStart {

  public static final String NAME = "cold-start";
  public static final String FIRST_ANSWER = "start to first answer";
  public static final String FIRST_POD = "first pod";
  public static final String FIRST_RELIST = "first relist+stats";
  /** The sum of the three: the headline's cold-start ratio compares this. */
  public static final String TOTAL = "total";

  private static final Duration POLL = Duration.ofMillis(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Milliseconds of each step; {@code firstRelistMs} is without stats when the runtime serves none. */
  public record Result(double firstAnswerMs, double firstPodMs, double firstRelistMs) {

    public double totalMs() {
      return firstAnswerMs + firstPodMs + firstRelistMs;
    }

    public void write(Path file) throws IOException {
      JSON.writeValue(file.toFile(), this);
    }

    public static Result read(Path file) throws IOException {
      try {
        return JSON.readValue(file.toFile(), Result.class);
      } catch (IOException e) {
        throw new IOException("cold-start result " + file + " is unreadable: " + e.getMessage(), e);
      }
    }

    public void record(Recorder recorder, String target) {
      recorder.add(target, NAME, FIRST_ANSWER, "ms", firstAnswerMs);
      recorder.add(target, NAME, FIRST_POD, "ms", firstPodMs);
      recorder.add(target, NAME, FIRST_RELIST, "ms", firstRelistMs);
      recorder.add(target, NAME, TOTAL, "ms", totalMs());
    }
  }

  private ColdStart() {}

  /**
   * Waits for {@code target} to answer Version (a fresh connection per attempt, so that gRPC's
   * reconnect back-off never adds to the figure), then times its first pod and first relist,
   * and removes the pod. {@code launched} is when the daemon's process was started.
   */
  public static Result measure(Target target, BenchOptions options, Instant launched, Duration timeout)
      throws InterruptedException {
    Instant deadline = launched.plus(timeout);
    double firstAnswerMs;
    Status last = null;
    while (true) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(target.socket() + " did not answer within " + timeout
            + (last == null ? " (no socket)" : "; last answer: " + last));
      }
      if (Files.exists(target.socket())) {
        last = version(target.socket());
        if (last.isOk()) {
          firstAnswerMs = Duration.between(launched, Instant.now()).toNanos() / 1e6;
          break;
        }
      }
      Thread.sleep(POLL);
    }
    try (CriClient client = CriClient.connect(target.socket())) {
      CriPods pods = new CriPods(client, options, target);
      long t0 = System.nanoTime();
      CriPods.Pod pod = pods.start();
      long t1 = System.nanoTime();
      KubeletPoll.Relist relist = new KubeletPoll(pods, options, new Recorder(), target.name()).relist(List.of(pod));
      long relistNanos = relist.relistWithStats() >= 0 ? relist.relistWithStats() : relist.relist();
      pods.teardown(pod);
      return new Result(firstAnswerMs, (t1 - t0) / 1e6, relistNanos / 1e6);
    }
  }

  /**
   * Any error means "not yet": a socket that exists before the server listens refuses the
   * connection (UNAVAILABLE), and a CRI plugin still initialising answers with an error of its own.
   */
  private static Status version(Path socket) {
    try (CriClient client = CriClient.connect(socket)) {
      client.runtime(Duration.ofSeconds(5)).version(VersionRequest.getDefaultInstance());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }
}
