package dev.berth.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {

  @Test
  void nearestRankPercentilesAreRealSamples() {
    List<Double> values = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      values.add((double) i);
    }
    Collections.shuffle(values);
    Summary summary = Summary.of(values);
    assertEquals(100, summary.runs());
    assertEquals(50.0, summary.p50());
    assertEquals(90.0, summary.p90());
    assertEquals(99.0, summary.p99());
    assertEquals(100.0, summary.max());
  }

  @Test
  void fewSamplesGiveTheNearestRankNotAnInterpolation() {
    Summary summary = Summary.of(List.of(30.0, 10.0, 20.0));
    assertEquals(20.0, summary.p50());
    assertEquals(30.0, summary.p90());
    assertEquals(30.0, summary.p99());
  }
}
