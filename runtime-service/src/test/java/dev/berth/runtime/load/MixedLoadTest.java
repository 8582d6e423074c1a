package dev.berth.runtime.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.Container;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandbox;
import dev.berth.runtime.testing.PodTestCase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Sixteen clients, each on its own connection to the daemon's socket, run random lifecycle calls
 * on real pods and containers for a bounded time (90 s; {@code -Dberth.load.seconds=N} runs
 * longer by hand, {@code -Dberth.load.clients=N} changes the count). Afterwards every pod and
 * container a client created was removed and the daemon lists none, no call answered a code it
 * should not have (INTERNAL, UNKNOWN, or a deadline: every call has one, so a hung call fails),
 * and the daemon holds no more threads or file descriptors than after a warm-up round of the same
 * calls, give or take a small margin.
 *
 * <p>The calls are counted by method and code and printed with the rate achieved.
 */
@Tag("integration")
class MixedLoadTest extends PodTestCase {

  private static final int CLIENTS = Integer.getInteger("berth.load.clients", 16);
  private static final long LOAD_SECONDS = Long.getLong("berth.load.seconds", 90);
  private static final long WARM_UP_SECONDS = 12;
  private static final long SEED = Long.getLong("berth.load.seed", System.nanoTime());
  /**
   * Platform threads the daemon may hold beyond the warm-up level once idle. The load itself runs
   * on virtual threads; the platform threads that come and go with it are the JDK's process
   * reapers (one per child being waited for, kept 60 s when idle) and the carriers the virtual
   * thread scheduler adds while others block in file I/O (kept 30 s). A thread leaked per pod,
   * container or exec would exceed this by hundreds: the round makes that many.
   */
  private static final int THREAD_MARGIN = 8;
  /**
   * File descriptors beyond the warm-up level: slack for a pipe or socket that is being closed
   * while the count is read. The client connections stay open through both readings; a leaked
   * conmon pipe, exit watch or exec socket per object would exceed this by hundreds.
   */
  private static final int FD_MARGIN = 8;
  /** How long the daemon gets to let idle pool threads expire before its resources are compared. */
  private static final Duration SETTLE = Duration.ofSeconds(100);

  @Test
  void mixedLifecycleCallsLeaveNothingBehindAndNoThreadsOrFdsGrow() throws Exception {
    System.out.println("MixedLoadTest: " + CLIENTS + " clients, " + LOAD_SECONDS + " s, seed " + SEED);
    List<CriClient> connections = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      connections.add(CriClient.connect(env.daemon().socket()));
    }
    long pid = env.daemon().pid();
    try {
      DaemonResources start = DaemonResources.of(pid);
      CallLedger warmUp = new CallLedger();
      round(connections, warmUp, WARM_UP_SECONDS, SEED);
      assertEquals(List.of(), warmUp.problems(), "warm-up round");
      assertDaemonListsNothing();
      DaemonResources baseline = DaemonResources.of(pid);

      CallLedger ledger = new CallLedger();
      long started = System.nanoTime();
      List<LoadClient> clients = round(connections, ledger, LOAD_SECONDS, SEED + 1);
      double elapsed = (System.nanoTime() - started) / 1e9;
      DaemonResources afterLoad = DaemonResources.of(pid);
      report(ledger, clients, elapsed);

      assertEquals(List.of(), ledger.problems(), "calls answered wrongly under load (seed " + SEED + ")");
      for (String code : List.of("INTERNAL", "UNKNOWN", "DEADLINE_EXCEEDED", "UNAVAILABLE")) {
        assertEquals(0L, ledger.byCode().getOrDefault(code, 0L), code + " answers");
      }
      for (LoadClient client : clients) {
        assertEquals(0, client.live(), "a client still believes it has objects after its clean-up");
        assertEquals(client.podsCreated(), client.podsRemoved(), "pods created and removed");
        assertEquals(client.containersCreated(), client.containersRemoved(), "containers created and removed");
      }
      assertTrue(clients.stream().mapToInt(c -> c.podsCreated().size()).sum() > CLIENTS,
          "the round ran too few pods to mean anything");
      assertDaemonListsNothing();

      DaemonResources idle = awaitIdle(pid, baseline);
      System.out.printf("MixedLoadTest: daemon %s at start, %s after warm-up, %s right after the load,"
          + " %s once idle (margins +%d threads, +%d fds)%n", start, baseline, afterLoad, idle, THREAD_MARGIN, FD_MARGIN);
      assertTrue(idle.within(baseline, THREAD_MARGIN, FD_MARGIN), () -> "daemon grew from " + baseline + " after warm-up to "
          + idle + " after the load:\n" + DaemonResources.describe(pid));
    } finally {
      connections.forEach(CriClient::close);
    }
  }

  /** Runs one client per connection for {@code seconds}, each cleaning up after itself. */
  private static List<LoadClient> round(List<CriClient> connections, CallLedger ledger, long seconds, long seed)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<LoadClient> clients = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < connections.size(); i++) {
      LoadClient client = new LoadClient("load" + i, env, connections.get(i), ledger, seed * 31 + i);
      clients.add(client);
      threads.add(Thread.ofPlatform().name("load" + i).start(() -> runClient(client, ledger, deadline)));
    }
    // Each call has a deadline; a client still going long after the round is stuck without one.
    long joinBy = deadline + TimeUnit.MINUTES.toNanos(5);
    for (Thread thread : threads) {
      thread.join(Duration.ofNanos(Math.max(1, joinBy - System.nanoTime())));
      if (thread.isAlive()) {
        throw new AssertionError("client " + thread.getName() + " is stuck:\n"
            + DaemonResources.describe(env.daemon().pid()));
      }
    }
    return clients;
  }

  private static void runClient(LoadClient client, CallLedger ledger, long deadline) {
    try {
      client.run(deadline);
    } catch (CallLedger.Unexpected e) {
      // Already recorded; what the client still has goes with the environment's clean-up.
    } catch (RuntimeException | Error e) {
      ledger.problem("client failed: " + e);
    }
  }

  private static void assertDaemonListsNothing() {
    List<PodSandbox> pods = env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
    List<Container> containers = env.runtime().listContainers(ListContainersRequest.getDefaultInstance())
        .getContainersList();
    assertEquals(List.of(), pods.stream().map(PodSandbox::getId).toList(), "pods left after every client removed its own");
    assertEquals(List.of(), containers.stream().map(Container::getId).toList(),
        "containers left after every client removed its own");
  }

  /** Waits (bounded) until the daemon is back within the margins of the warm-up level. */
  private static DaemonResources awaitIdle(long pid, DaemonResources baseline) throws Exception {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    DaemonResources now = DaemonResources.of(pid);
    while (!now.within(baseline, THREAD_MARGIN, FD_MARGIN) && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      now = DaemonResources.of(pid);
    }
    return now;
  }

  private static void report(CallLedger ledger, List<LoadClient> clients, double seconds) {
    int pods = clients.stream().mapToInt(c -> c.podsCreated().size()).sum();
    int containers = clients.stream().mapToInt(c -> c.containersCreated().size()).sum();
    System.out.printf("MixedLoadTest: %d calls in %.1f s = %.1f calls/s; %d pods and %d containers created and removed%n",
        ledger.calls(), seconds, ledger.calls() / seconds, pods, containers);
    System.out.println("MixedLoadTest: codes " + ledger.byCode());
    for (Map.Entry<String, Long> entry : ledger.byMethodAndCode().entrySet()) {
      System.out.printf("MixedLoadTest:   %-28s %d%n", entry.getKey(), entry.getValue());
    }
  }
}
