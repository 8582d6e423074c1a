package dev.berth.runtime.server;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back the heap that bursts of pod starts, stops and pulls leave in the old generation: one
 * full collection once those calls have been quiet for a while ({@link HeapReleaseAfterBursts}
 * says when and why). Counts the CRI calls that change the node's state from their start to their
 * completion or cancellation (a cancelled call's work may still finish after it: the collection
 * then costs that call a pause of milliseconds, nothing else).
 */
final class HeapReleaseInterceptor implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(HeapReleaseInterceptor.class);

  /** The calls of a burst; reads (lists, statuses, stats, ExecSync probes) never are. */
  static final Set<String> STATE_CHANGING = Set.of("RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
      "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer", "PullImage", "RemoveImage");

  /** Long enough for a kubelet's next pod start or pull to be part of the same burst. */
  static final Duration QUIET = Duration.ofSeconds(2);

  /** Below this, a collection's pause would give back less than a burst of a few pods leaves. */
  static final long THRESHOLD_BYTES = 1L << 20;

  private final HeapReleaseAfterBursts policy;
  private final Optional<MemoryPoolMXBean> oldGeneration = oldGenerationPool();

  HeapReleaseInterceptor() {
    this.policy = new HeapReleaseAfterBursts(QUIET, THRESHOLD_BYTES);
    if (oldGeneration.isEmpty()) {
      log.info("no old generation in this JVM's heap: no full collection after bursts of pod starts and pulls");
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (oldGeneration.isEmpty() || !STATE_CHANGING.contains(call.getMethodDescriptor().getBareMethodName())) {
      return next.startCall(call, headers);
    }
    policy.callStarted();
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end = () -> {
      if (ended.compareAndSet(false, true) && policy.callEnded(System.nanoTime())) {
        Thread.ofVirtual().name("heap release after bursts").start(this::awaitQuiet);
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException | Error e) {
      end.run();
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          end.run();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          end.run();
        }
      }
    };
  }

  private void awaitQuiet() {
    while (true) {
      HeapReleaseAfterBursts.Step step = policy.next(System.nanoTime(), oldGenerationGrowth());
      switch (step.action()) {
        case WAIT -> {
          try {
            Thread.sleep(Duration.ofNanos(step.waitNanos()));
          } catch (InterruptedException e) {
            return; // only at the daemon's exit
          }
        }
        case COLLECT -> {
          long before = oldGeneration.orElseThrow().getUsage().getCommitted();
          System.gc();
          log.debug("full collection after a burst of pod starts, stops or pulls: old generation {} -> {} KiB committed",
              before >> 10, oldGeneration.orElseThrow().getUsage().getCommitted() >> 10);
          return;
        }
        case STOP -> {
          return;
        }
      }
    }
  }

  /** Bytes the old generation holds beyond what it held after the last full collection. */
  private long oldGenerationGrowth() {
    MemoryPoolMXBean pool = oldGeneration.orElseThrow();
    var afterLastFull = pool.getCollectionUsage();
    return pool.getUsage().getUsed() - (afterLastFull == null ? 0 : afterLastFull.getUsed());
  }

  /** The serial collector's "Tenured Gen" (or another collector's "... Old Gen"). */
  static Optional<MemoryPoolMXBean> oldGenerationPool() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isValid())
        .filter(pool -> pool.getName().equals("Tenured Gen") || pool.getName().endsWith("Old Gen"))
        .findFirst();
  }
}
