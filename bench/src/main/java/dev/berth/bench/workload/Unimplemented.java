package dev.berth.bench.workload;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.function.Supplier;

/**
 * A call a runtime may not serve yet. Its first UNIMPLEMENTED answer switches it off for the rest
 * of the run, so that a missing RPC costs one round trip and a line in the report, not the run.
 */
final class Unimplemented {

  private boolean unimplemented;
  private String reason;

  /** Runs the call and returns its latency in nanoseconds, or -1 when the runtime does not serve it. */
  long time(Supplier<?> call) {
    if (unimplemented) {
      return -1;
    }
    long start = System.nanoTime();
    try {
      call.get();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
        throw e;
      }
      unimplemented = true;
      reason = "UNIMPLEMENTED: " + e.getStatus().getDescription();
      return -1;
    }
    return System.nanoTime() - start;
  }

  boolean skipped() {
    return unimplemented;
  }

  String reason() {
    return reason;
  }
}
