package dev.berth.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.berth.bench.report.Ratio;
import dev.berth.bench.report.Recorder;
import dev.berth.bench.workload.ColdStart;
import dev.berth.bench.workload.ImagePull;
import dev.berth.bench.workload.KubeletPoll;
import dev.berth.bench.workload.Memory;
import dev.berth.bench.workload.PodStart;
import java.util.List;
import org.junit.jupiter.api.Test;

class RatiosTest {

  private static void poll(Recorder recorder, String target, String metric, double... values) {
    for (double value : values) {
      recorder.add(target, KubeletPoll.NAME, metric, "ms", value);
    }
  }

  private static Ratio kubeletPoll(Recorder recorder) {
    List<Ratio> ratios = Ratios.compute(recorder, "a", "b");
    return ratios.stream().filter(r -> r.name().equals("kubelet-poll p99")).findFirst().orElseThrow();
  }

  @Test
  void kubeletPollComparesTheSteadyStateNotTheColdFirstIteration() {
    Recorder recorder = new Recorder();
    // The cold first iterations would give 500/100 = 5; the steady state gives 20/40 = 0.5.
    poll(recorder, "a", KubeletPoll.RELIST_WITH_STATS_FIRST, 500);
    poll(recorder, "b", KubeletPoll.RELIST_WITH_STATS_FIRST, 100);
    poll(recorder, "a", KubeletPoll.RELIST_FIRST, 400);
    poll(recorder, "b", KubeletPoll.RELIST_FIRST, 90);
    poll(recorder, "a", KubeletPoll.RELIST_WITH_STATS, 10, 20, 15);
    poll(recorder, "b", KubeletPoll.RELIST_WITH_STATS, 30, 40, 35);
    poll(recorder, "a", KubeletPoll.RELIST, 8, 16, 12);
    poll(recorder, "b", KubeletPoll.RELIST, 4, 8, 6);
    Ratio ratio = kubeletPoll(recorder);
    assertEquals(KubeletPoll.RELIST_WITH_STATS, ratio.metric());
    assertEquals("p99", ratio.statistic());
    assertEquals(0.5, ratio.value());
  }

  @Test
  void withoutStatsOnOneSideTheRelistIsComparedStillNotItsFirstIteration() {
    Recorder recorder = new Recorder();
    poll(recorder, "a", KubeletPoll.RELIST_WITH_STATS_FIRST, 500);
    poll(recorder, "a", KubeletPoll.RELIST_FIRST, 400);
    poll(recorder, "b", KubeletPoll.RELIST_FIRST, 100);
    poll(recorder, "a", KubeletPoll.RELIST_WITH_STATS, 10, 20);
    poll(recorder, "a", KubeletPoll.RELIST, 8, 12);
    poll(recorder, "b", KubeletPoll.RELIST, 6, 24);
    Ratio ratio = kubeletPoll(recorder);
    assertEquals(KubeletPoll.RELIST, ratio.metric());
    assertEquals(0.5, ratio.value());
  }

  private static void record(Recorder recorder, String target, String workload, String metric, double... values) {
    for (double value : values) {
      recorder.add(target, workload, metric, "ms", value);
    }
  }

  private static Ratio named(List<Ratio> ratios, String name) {
    return ratios.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void podStartIsTheWorstPhaseOfBothKindsOfPodNotTheSingleCalls() {
    Recorder recorder = new Recorder();
    record(recorder, "a", PodStart.NAME, PodStart.SEQUENTIAL, 40, 50, 60);
    record(recorder, "b", PodStart.NAME, PodStart.SEQUENTIAL, 100, 100, 100);
    record(recorder, "a", PodStart.NAME, "sequential: RunPodSandbox", 90);
    record(recorder, "b", PodStart.NAME, "sequential: RunPodSandbox", 10);
    record(recorder, "a", PodStart.NAME, "parallel 8", 150);
    record(recorder, "b", PodStart.NAME, "parallel 8", 500);
    record(recorder, "a", PodStart.SHARED_PID_NAME, PodStart.SEQUENTIAL, 80);
    record(recorder, "b", PodStart.SHARED_PID_NAME, PodStart.SEQUENTIAL, 100);
    record(recorder, "a", PodStart.SHARED_PID_NAME, "teardown sequential", 900);
    record(recorder, "b", PodStart.SHARED_PID_NAME, "teardown sequential", 100);

    List<Ratio> phases = Ratios.podStartPhases(recorder, "a", "b");
    assertEquals(List.of(0.5, 0.3, 0.8), phases.stream().map(Ratio::value).toList());
    Ratio headline = named(Ratios.compute(recorder, "a", "b"), "pod-start p50");
    assertEquals(0.8, headline.value());
    assertEquals(PodStart.SHARED_PID_NAME, headline.workload());
    assertEquals(PodStart.SEQUENTIAL, headline.metric());
  }

  @Test
  void theLastLineNamesAllFiveRatiosInOrderAndSaysWhatWasNotMeasured() {
    Recorder recorder = new Recorder();
    record(recorder, "a", PodStart.NAME, PodStart.SEQUENTIAL, 50);
    record(recorder, "b", PodStart.NAME, PodStart.SEQUENTIAL, 100);
    record(recorder, "a", KubeletPoll.NAME, KubeletPoll.RELIST, 30);
    record(recorder, "b", KubeletPoll.NAME, KubeletPoll.RELIST, 120);
    record(recorder, "a", Memory.NAME, Memory.TOTAL, 200);
    record(recorder, "b", Memory.NAME, Memory.TOTAL, 1000);
    new ColdStart.Result(700, 300, 100).record(recorder, "a");
    new ColdStart.Result(400, 150, 50).record(recorder, "b");
    String line = Ratios.line("a", "b", Ratios.compute(recorder, "a", "b"));
    assertEquals("a/b: pod-start p50 0.50, kubelet-poll p99 0.25, memory 0.20, cold-start 1.83, pull n/a", line);
  }

  @Test
  void pullComparesThePullsOfTheSameImageNotTheRemoves() {
    Recorder recorder = new Recorder();
    record(recorder, "a", ImagePull.NAME, ImagePull.PULL + " 50MB", 800, 900, 1000);
    record(recorder, "b", ImagePull.NAME, ImagePull.PULL + " 50MB", 1000, 1000, 1000);
    record(recorder, "a", ImagePull.NAME, "RemoveImage", 5);
    record(recorder, "b", ImagePull.NAME, "RemoveImage", 50);
    Ratio pull = named(Ratios.compute(recorder, "a", "b"), "pull");
    assertEquals(ImagePull.PULL + " 50MB", pull.metric());
    assertEquals(0.9, pull.value());
    assertNull(named(Ratios.compute(recorder, "a", "b"), "cold-start").value());
  }
}
