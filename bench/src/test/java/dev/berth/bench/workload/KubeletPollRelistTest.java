package dev.berth.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KubeletPollRelistTest {

  @Test
  void relistIsTheListAndStatusCallsAndWithStatsAddsBoth() {
    KubeletPoll.Relist relist = new KubeletPoll.Relist(1, 2, 30, 40, 100, 200);
    assertEquals(73, relist.relist());
    assertEquals(373, relist.relistWithStats());
  }

  @Test
  void withStatsIsMissingWhenEitherStatsCallIsNotServed() {
    assertEquals(-1, new KubeletPoll.Relist(1, 2, 30, 40, -1, 200).relistWithStats());
    assertEquals(-1, new KubeletPoll.Relist(1, 2, 30, 40, 100, -1).relistWithStats());
    assertEquals(73, new KubeletPoll.Relist(1, 2, 30, 40, -1, -1).relist());
  }
}
