package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandboxConfig;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.cgroup.CgroupVersion;
import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.model.Ids;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.PodTestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Spare infras ({@code runtime.spare_infras}, by default) through the socket on real runc, CNI and
 * cgroups: made once a shared-PID pod was run, taken by the next such pod (whose id is then the
 * spare's), which gets its hostname, network and cgroup as with an infra of its own; discarded by
 * a clean stop (the environment's close finds no cgroup, mount or process left) and by the start
 * after a kill. On a v2 host none is made, since the runtime's device rule there does not follow
 * the process.
 */
@Tag("integration")
@Timeout(300)
class SpareInfraPodTest extends PodTestCase {

  private static final int SPARES = BerthConfig.defaults().runtime().spareInfras();

  private static Path sparesDir() {
    return env.dir().resolve("d").resolve("state").resolve("spare-infras");
  }

  private static List<String> spares() throws IOException {
    try (Stream<Path> entries = Files.list(sparesDir())) {
      return entries.map(p -> p.getFileName().toString()).filter(Ids::isFullId).sorted().toList();
    }
  }

  private static List<String> pinnedSpareNetworks() throws IOException {
    try (Stream<Path> entries = Files.list(sparesDir().resolve("netns"))) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The spares once as many as configured are ready (a spare's directory exists from before its runc run). */
  private static List<String> awaitReadySpares() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      List<String> ready = spares();
      if (ready.size() == SPARES && pinnedSpareNetworks().size() == SPARES
          && ready.stream().allMatch(SpareInfraPodTest::running)) {
        return ready;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("not " + SPARES + " spare infras ready after 60 s: " + spares());
  }

  /** Whether the spare's cgroup holds a process (its catatonit, once runc ran it). */
  private static boolean running(String spare) {
    try {
      return !procs(env.cgroupRoot() + "/spare-infras/" + spare, "memory").isEmpty();
    } catch (IOException notYet) {
      return false;
    }
  }

  private static List<String> procs(String cgroupPath, String controller) throws IOException {
    return Files.readAllLines(PodTestEnv.cgroupDir(controller, cgroupPath).resolve("cgroup.procs")).stream()
        .filter(line -> !line.isBlank()).toList();
  }

  private static List<Path> everyHierarchy(String cgroupPath) {
    return PodTestEnv.hostCgroups().hierarchyRoots().stream().map(root -> root.resolve(cgroupPath.substring(1)))
        .toList();
  }

  private static String exec(String container, String script) {
    ExecSyncResponse reply = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(20).build());
    assertEquals(0, reply.getExitCode(), script + ": " + reply.getStderr().toStringUtf8());
    return reply.getStdout().toStringUtf8().trim();
  }

  private static int nice(String pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }

  /** Alive and not a zombie (an orphan's parent may be slow to reap it). */
  private static boolean runs(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException gone) {
      return false;
    }
  }

  private static void removePod(String pod) {
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  @Test
  void theNextSharedPidPodTakesASpareAndGetsItsOwnHostnameNetworkAndCgroup() throws Exception {
    String first = env.runPod(env.sharedPidPodConfig("spare-first").build());
    if (PodTestEnv.hostCgroups().version() == CgroupVersion.V2) {
      Thread.sleep(2000);
      assertEquals(List.of(), spares(), "no spare on a v2 host");
      removePod(first);
      return;
    }
    List<String> ready = awaitReadySpares();
    assertFalse(ready.contains(first));
    for (String spare : ready) {
      String pid = procs(env.cgroupRoot() + "/spare-infras/" + spare, "memory").get(0);
      assertEquals(19, nice(pid), "a spare is made at the lowest priority, not to slow the pod being started");
    }

    // As the kubelet runs a pod: in a pod cgroup of its own, with its hostname.
    String podCgroup = env.cgroupRoot() + "/kubepods-spare-taker";
    PodSandboxConfig.Builder config = env.sharedPidPodConfig("spare-taker").setHostname("taker-host");
    config.setLinux(config.getLinux().toBuilder().setCgroupParent(podCgroup));
    String pod = env.runPod(config.build());

    assertTrue(ready.contains(pod), "the pod's id is a spare's: " + pod + " not in " + ready);
    String container = env.runContainer(pod, env.containerConfig("sleeper", "sleep", "300").build());
    assertEquals("taker-host", exec(container, "hostname"));
    assertTrue(exec(container, "cat /proc/1/cmdline").startsWith("/catatonit"), "pid 1 of the pod is its infra");
    assertFalse(env.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
        .getStatus().getNetwork().getIp().isEmpty(), "CNI added the pod's interface in the spare's namespace");
    String infraPid = env.podRecordField(pod, "infraPid");
    assertEquals(nice(Long.toString(env.daemon().pid())), nice(infraPid), "a taken spare runs at the daemon's priority");
    String infraCgroup = podCgroup + "/" + pod;
    for (Path dir : everyHierarchy(infraCgroup)) {
      assertEquals(List.of(infraPid), Files.readAllLines(dir.resolve("cgroup.procs")), dir.toString());
    }
    assertEquals("", Files.readString(PodTestEnv.cgroupDir("devices", infraCgroup).resolve("devices.list")).trim(),
        "every device denied, as runc's rule for an infra");
    // Nothing of the spare is left as a spare; another is made in its place.
    assertFalse(spares().contains(pod));
    assertFalse(pinnedSpareNetworks().contains(pod));
    for (Path dir : everyHierarchy(env.cgroupRoot() + "/spare-infras/" + pod)) {
      assertFalse(Files.exists(dir), dir + " remains");
    }
    List<String> refilled = awaitReadySpares();
    assertFalse(refilled.contains(pod));

    removePod(pod);
    removePod(first);
    for (Path dir : everyHierarchy(infraCgroup)) {
      assertFalse(Files.exists(dir), dir + " remains after RemovePodSandbox");
    }
    // The kubelet removes its pod cgroup with rmdir, which fails while a child is left.
    List<Path> podDirs = new ArrayList<>(everyHierarchy(podCgroup));
    for (Path dir : podDirs) {
      Files.delete(dir);
    }
  }

  @Test
  void aCleanStopDiscardsTheSparesWithTheirCgroupAndNetworkNamespaces() throws Exception {
    String pod = env.runPod(env.sharedPidPodConfig("spare-before-stop").build());
    List<Long> pids = new ArrayList<>();
    if (PodTestEnv.hostCgroups().version() != CgroupVersion.V2) {
      for (String spare : awaitReadySpares()) {
        pids.add(Long.parseLong(procs(env.cgroupRoot() + "/spare-infras/" + spare, "memory").get(0)));
      }
    }

    env.restartAfter(() -> {
      for (long pid : pids) {
        assertFalse(runs(pid), "spare infra " + pid + " runs");
      }
      assertEquals(List.of(), spares());
      assertEquals(List.of(), pinnedSpareNetworks());
      assertEquals(List.of(), Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
          .filter(line -> line.contains(sparesDir().toString())).toList(), "a spare's network namespace stays pinned");
      for (Path dir : everyHierarchy(env.cgroupRoot() + "/spare-infras")) {
        assertFalse(Files.exists(dir), dir + " remains");
      }
    });
    env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
    removePod(pod);
  }

  @Test
  void sparesLeftByAKilledDaemonAreDiscardedAtItsNextStart() throws Exception {
    String pod = env.runPod(env.sharedPidPodConfig("spare-before-kill").build());
    if (PodTestEnv.hostCgroups().version() == CgroupVersion.V2) {
      env.restartAfterKill();
      env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
      assertEquals(List.of(), spares(), "no spare on a v2 host, before or after a kill");
      removePod(pod);
      return;
    }
    List<String> ready = awaitReadySpares();
    List<Long> pids = new ArrayList<>();
    for (String spare : ready) {
      pids.add(Long.parseLong(procs(env.cgroupRoot() + "/spare-infras/" + spare, "memory").get(0)));
    }

    env.restartAfterKill();
    // Version answers before the recovery; every other call waits for it.
    env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());

    for (long pid : pids) {
      assertFalse(runs(pid), "spare infra " + pid + " runs");
    }
    assertEquals(List.of(), spares());
    assertEquals(List.of(), pinnedSpareNetworks());
    for (String spare : ready) {
      for (Path dir : everyHierarchy(env.cgroupRoot() + "/spare-infras/" + spare)) {
        assertFalse(Files.exists(dir), dir + " remains");
      }
    }
    // The pod itself survived the kill, and the next one starts as before.
    assertNotEquals("", env.podRecordField(pod, "infraPid"));
    removePod(pod);
  }
}
