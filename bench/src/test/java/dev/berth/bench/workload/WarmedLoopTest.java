package dev.berth.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmedLoopTest {

  /** A fake iteration that counts its calls: call i returns i, so a sample names the call it came from. */
  private static final class Counter implements WarmedLoop.Iteration<Integer, RuntimeException> {
    int calls;

    @Override
    public Integer run() {
      return calls++;
    }
  }

  @Test
  void theFirstWarmUpIsColdTheRestUnrecordedThenTheRecordedOnes() {
    Counter counter = new Counter();
    List<Integer> cold = new ArrayList<>();
    List<Integer> steady = new ArrayList<>();
    WarmedLoop.run(5, 3, counter, cold::add, steady::add);
    assertEquals(8, counter.calls);
    assertEquals(List.of(0), cold);
    assertEquals(List.of(5, 6, 7), steady);
  }

  @Test
  void withoutWarmUpThereIsNoColdSampleAndEveryIterationIsRecorded() {
    Counter counter = new Counter();
    List<Integer> cold = new ArrayList<>();
    List<Integer> steady = new ArrayList<>();
    WarmedLoop.run(0, 3, counter, cold::add, steady::add);
    assertEquals(List.of(), cold);
    assertEquals(List.of(0, 1, 2), steady);
  }

  @Test
  void aFailingIterationEndsTheLoopWithItsException() {
    List<Integer> steady = new ArrayList<>();
    WarmedLoop.Iteration<Integer, IOException> failsThird = new WarmedLoop.Iteration<>() {
      int calls;

      @Override
      public Integer run() throws IOException {
        if (calls == 2) {
          throw new IOException("endpoint gone");
        }
        return calls++;
      }
    };
    IOException thrown = assertThrows(IOException.class,
        () -> WarmedLoop.run(1, 5, failsThird, cold -> {}, steady::add));
    assertEquals("endpoint gone", thrown.getMessage());
    assertEquals(List.of(1), steady);
  }
}
