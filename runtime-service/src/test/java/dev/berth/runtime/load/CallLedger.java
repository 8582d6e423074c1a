package dev.berth.runtime.load;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counts every CRI call a load test makes by method and answer code, and keeps the calls that
 * answered something they should not have: any code not expected for that call (INTERNAL,
 * UNKNOWN, a DEADLINE_EXCEEDED that means a hung call) and any answer that contradicts what the
 * client knows it created and removed.
 */
final class CallLedger {

  /** What a call that failed with an expected code returns instead of a value. */
  static final class ExpectedFailure extends RuntimeException {
    final Status.Code code;

    ExpectedFailure(Status.Code code) {
      super(code.name(), null, false, false);
      this.code = code;
    }
  }

  /** Thrown out of a client's loop at the first unexpected answer: its beliefs are no longer sound. */
  static final class Unexpected extends RuntimeException {
    Unexpected(String message) {
      super(message);
    }
  }

  private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final LongAdder calls = new LongAdder();

  /**
   * Runs one call; a failure with a code in {@code expected} is counted and rethrown as an
   * {@link ExpectedFailure}, any other failure is recorded and thrown as {@link Unexpected}.
   */
  <T> T call(String method, Set<Status.Code> expected, Supplier<T> call) {
    calls.increment();
    try {
      T value = call.get();
      count(method, Status.Code.OK);
      return value;
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      count(method, code);
      if (expected.contains(code)) {
        throw new ExpectedFailure(code);
      }
      String hint = code == Status.Code.DEADLINE_EXCEEDED ? " (a hung call: every call has a deadline)" : "";
      throw problem(method + " answered " + code + hint + ": " + e.getStatus().getDescription());
    }
  }

  /** A call that must succeed. */
  <T> T call(String method, Supplier<T> call) {
    return call(method, Set.of(), call);
  }

  /** A call that must fail with {@code code}; succeeding is as wrong as another code. */
  void mustFail(String method, Status.Code code, Runnable call) {
    try {
      call(method, Set.of(code), () -> {
        call.run();
        return null;
      });
    } catch (ExpectedFailure expected) {
      return;
    }
    throw problem(method + " succeeded where " + code + " was expected");
  }

  /** Records a contradiction between an answer and what the client knows; returns it to throw. */
  Unexpected problem(String message) {
    String named = Thread.currentThread().getName() + ": " + message;
    problems.add(named);
    return new Unexpected(named);
  }

  private void count(String method, Status.Code code) {
    counts.computeIfAbsent(method + " " + code, k -> new LongAdder()).increment();
  }

  long calls() {
    return calls.sum();
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  /** Answer codes over all methods. */
  Map<String, Long> byCode() {
    Map<String, Long> codes = new TreeMap<>();
    counts.forEach((key, n) -> codes.merge(key.substring(key.indexOf(' ') + 1), n.sum(), Long::sum));
    return codes;
  }

  /** "Method CODE" to count, sorted, for the report. */
  Map<String, Long> byMethodAndCode() {
    Map<String, Long> sorted = new TreeMap<>();
    counts.forEach((key, n) -> sorted.put(key, n.sum()));
    return sorted;
  }
}
