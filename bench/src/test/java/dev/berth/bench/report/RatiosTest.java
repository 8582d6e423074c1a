package dev.berth.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.bench.workload.KubeletPoll;
import java.util.List;
import org.junit.jupiter.api.Test;

class RatiosTest {

  private static void poll(Recorder recorder, String target, String metric, double... values) {
    for (double value : values) {
      recorder.add(target, KubeletPoll.NAME, metric, "ms", value);
    }
  }

  private static Ratios.Ratio kubeletPoll(Recorder recorder) {
    List<Ratios.Ratio> ratios = Ratios.compute(recorder, "a", "b");
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
    Ratios.Ratio ratio = kubeletPoll(recorder);
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
    Ratios.Ratio ratio = kubeletPoll(recorder);
    assertEquals(KubeletPoll.RELIST, ratio.metric());
    assertEquals(0.5, ratio.value());
  }
}
