package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.runtime.testing.PodTestCase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A burst of pod starts through the daemon's socket is followed by one full collection in the
 * daemon (its JVM counter of full collections, read with jcmd), and the kubelet's read-only
 * polling after it runs none.
 */
@Tag("integration")
@Timeout(300)
class HeapReleaseSocketTest extends PodTestCase {

  private static final int PODS = 12;
  private static final int AT_A_TIME = 4;

  @Test
  void aBurstOfPodStartsIsFollowedByOneFullCollectionAndPollingRunsNone() throws Exception {
    long before = env.daemon().fullCollections();
    List<String> pods = startPods();

    // The collection waits for 2 s without a state-changing call; a loaded machine may take longer.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long after = env.daemon().fullCollections();
    while (after == before && System.nanoTime() < deadline) {
      Thread.sleep(250);
      after = env.daemon().fullCollections();
    }
    assertTrue(after > before, "no full collection in the daemon after " + PODS + " pod starts: " + before
        + " before, " + after + " after");

    // The kubelet's relists for longer than the quiet period: reads are no burst.
    long pollUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    int relists = 0;
    while (System.nanoTime() < pollUntil) {
      assertEquals(PODS, env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
      assertEquals(PODS, env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
      for (String pod : pods) {
        env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build());
      }
      relists++;
    }
    assertTrue(relists > 0);
    assertEquals(after, env.daemon().fullCollections(),
        "the daemon ran another full collection while it was only polled (" + relists + " relists)");
  }

  /** {@value #PODS} pods with a sleeping container each, {@value #AT_A_TIME} at a time, as a kubelet starts a node's pods. */
  private static List<String> startPods() throws Exception {
    try (ExecutorService starts = Executors.newFixedThreadPool(AT_A_TIME)) {
      List<Future<String>> started = new ArrayList<>();
      for (int i = 0; i < PODS; i++) {
        started.add(starts.submit(() -> {
          String pod = env.runPod();
          env.runContainer(pod, env.containerConfig("sleeper", "sleep", "3600").build());
          return pod;
        }));
      }
      List<String> pods = new ArrayList<>();
      for (Future<String> pod : started) {
        pods.add(pod.get());
      }
      return pods;
    }
  }
}
