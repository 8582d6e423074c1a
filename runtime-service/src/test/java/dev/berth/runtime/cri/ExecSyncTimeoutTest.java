package dev.berth.runtime.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How long an ExecSync may run: its own timeout, or less when the client gives up sooner. */
class ExecSyncTimeoutTest {
  private static final Deadline.Ticker FROZEN = new Deadline.Ticker() {
    @Override
    public long nanoTime() {
      return 0;
    }
  };

  @Test
  void withoutADeadlineTheRequestsTimeoutCounts() {
    assertEquals(Duration.ofSeconds(7), RuntimeCriService.execSyncTimeout(7, null));
  }

  @Test
  void noTimeoutAndNoDeadlineMeansAYear() {
    assertEquals(Duration.ofDays(365), RuntimeCriService.execSyncTimeout(0, null));
  }

  @Test
  void aDeadlineSoonerThanTheTimeoutWins() {
    Deadline deadline = Deadline.after(3, TimeUnit.SECONDS, FROZEN);
    assertEquals(Duration.ofSeconds(3), RuntimeCriService.execSyncTimeout(10, deadline));
    assertEquals(Duration.ofSeconds(3), RuntimeCriService.execSyncTimeout(0, deadline));
  }

  @Test
  void aDeadlineLaterThanTheTimeoutChangesNothing() {
    assertEquals(Duration.ofSeconds(10),
        RuntimeCriService.execSyncTimeout(10, Deadline.after(60, TimeUnit.SECONDS, FROZEN)));
  }

  @Test
  void aDeadlineAlreadyPastStillGivesAPositiveTimeout() {
    Duration timeout = RuntimeCriService.execSyncTimeout(10, Deadline.after(-5, TimeUnit.SECONDS, FROZEN));
    assertTrue(!timeout.isNegative() && !timeout.isZero(), timeout.toString());
  }
}
