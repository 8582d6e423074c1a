package dev.berth.bench.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N running pods, each with one sleep container, that kubelet-poll, scrape and memory measure
 * against. Started and removed four at a time: setup is not what these workloads time.
 */
public final class PodFleet implements AutoCloseable {

  private static final int SETUP_THREADS = 4;

  private final CriPods pods;
  private final List<CriPods.Pod> running;

  private PodFleet(CriPods pods, List<CriPods.Pod> running) {
    this.pods = pods;
    this.running = running;
  }

  public static PodFleet start(CriPods pods, int count) throws Exception {
    List<CriPods.Pod> running = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(SETUP_THREADS)) {
      List<Future<CriPods.Pod>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        futures.add(pool.submit(() -> pods.start()));
      }
      Exception failure = null;
      for (Future<CriPods.Pod> future : futures) {
        try {
          running.add(future.get());
        } catch (Exception e) {
          failure = failure == null ? e : failure;
        }
      }
      if (failure != null) {
        new PodFleet(pods, running).close();
        throw failure;
      }
    }
    return new PodFleet(pods, running);
  }

  public List<CriPods.Pod> pods() {
    return running;
  }

  @Override
  public void close() throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(SETUP_THREADS)) {
      List<Future<?>> futures = new ArrayList<>();
      for (CriPods.Pod pod : running) {
        futures.add(pool.submit(() -> pods.teardown(pod)));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    }
  }
}
