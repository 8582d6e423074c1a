package dev.berth.bench.workload;

import java.util.function.Consumer;

/**
 * Runs an iteration a few times unrecorded before the recorded ones, so that a workload measures
 * the steady state a node sees (the kubelet polls every second for as long as the node lives), not
 * the JIT warm-up of a freshly started daemon or of the bench's own client. Every target gets the
 * same warm-up, and the very first iteration is still handed out, as the cold cost, for its own
 * metric; with no warm-up there is no cold sample and every iteration is recorded as before.
 */
final class WarmedLoop {

  /** One iteration of a workload; returns what it measured. */
  interface Iteration<T, E extends Exception> {
    T run() throws E;
  }

  private WarmedLoop() {}

  static <T, E extends Exception> void run(int warmups, int recorded, Iteration<T, E> iteration, Consumer<T> cold,
      Consumer<T> steady) throws E {
    for (int i = 0; i < warmups; i++) {
      T result = iteration.run();
      if (i == 0) {
        cold.accept(result);
      }
    }
    for (int i = 0; i < recorded; i++) {
      steady.accept(iteration.run());
    }
  }
}
