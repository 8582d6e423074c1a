package dev.berth.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.StepTimes;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.oci.OciSpec;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.shim.RuntimeState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How an infra is run, watched and stopped, against a runtime that runs nothing: one detached
 * runtime call from the bundle it writes, never a conmon; its own process watched, or the conmon
 * of an infra an earlier Berth ran. No root needed.
 */
class InfraProcessTest {

  private static final String ID = "c".repeat(64);

  @TempDir
  Path dir;

  private final FakeInfraRuntime runtime = new FakeInfraRuntime();

  private InfraProcess infra() {
    return new InfraProcess(runtime, runtime, id -> dir.resolve("sandboxes").resolve(id), dir.resolve("infra-rootfs"),
        -998, new PodNamespacePins(dir.resolve("podns")), null);
  }

  private static SandboxSpec sharedPid(String runtimeHandler) {
    return new SandboxSpec(new PodName("web", "uid-1", "default", 0), "web", "", List.of(), List.of(), List.of(),
        List.of(), Map.of(), Map.of(), "", false, false, false, true, Map.of(), runtimeHandler, null);
  }

  private static Sandbox sandbox() {
    return new Sandbox(ID, sharedPid(""), SandboxState.READY, 1, "/run/netns/" + ID, List.of(), "/berth/" + ID, 4242);
  }

  @Test
  void theInfraRunsFromItsBundleInOneDetachedRuntimeCall() throws Exception {
    runtime.pid = 31337;
    StepTimes times = new StepTimes("run pod sandbox " + ID);

    long pid = infra().create(new PodNamespaces.NewPod(ID, sharedPid("crun"), "web", "/run/netns/" + ID,
        "/berth/" + ID, times, Optional.empty()));

    Path bundle = dir.resolve("sandboxes").resolve(ID).resolve("bundle");
    assertEquals(31337, pid);
    assertEquals(List.of("run " + ID + " " + bundle + " handler=crun"), runtime.calls,
        "one runtime call, with the pod's handler; no conmon create, no separate start");
    OciSpec spec = OciSpecJson.read(bundle);
    assertEquals(List.of("/catatonit", "-P"), spec.process().args());
    assertEquals("/berth/" + ID + "/" + ID, spec.linux().cgroupsPath(), "the infra's cgroup is named by the pod");
    assertTrue(Files.isDirectory(bundle));
  }

  @Test
  void aDetachedInfraIsAliveWhileItsOwnProcessRuns() {
    runtime.detached = true;
    runtime.shimAlive = false;
    runtime.detachedRunning = true;
    assertTrue(infra().holderAlive(sandbox()), "no conmon to ask: the infra itself runs");
    runtime.detachedRunning = false;
    assertFalse(infra().holderAlive(sandbox()));
  }

  @Test
  void anInfraOfAnEarlierBerthIsAliveWhileItsConmonIs() {
    runtime.detached = false;
    runtime.detachedRunning = false;
    runtime.shimAlive = true;
    assertTrue(infra().holderAlive(sandbox()));
    runtime.shimAlive = false;
    assertFalse(infra().holderAlive(sandbox()));
  }

  @Test
  void runcsStateDecidesAtStartUpAndTheProcessWhenRuncCannotAnswer() {
    runtime.status = RuntimeState.Status.RUNNING;
    runtime.detachedRunning = false;
    assertTrue(infra().alive(sandbox()), "runc's account first");
    runtime.status = RuntimeState.Status.STOPPED;
    assertFalse(infra().alive(sandbox()));
    runtime.status = null;
    runtime.detachedRunning = true;
    assertTrue(infra().alive(sandbox()), "runc failing is no proof the infra is gone");
    runtime.detachedRunning = false;
    assertFalse(infra().alive(sandbox()));
  }

  @Test
  void stoppingKillsTheInfraItselfThroughTheRuntime() throws Exception {
    infra().releaseOnStop(ID).action().run();

    // Its init alone: `kill --all` would look in the cgroup runc made, which a spare infra has left.
    assertEquals(List.of("kill " + ID + " 9"), runtime.calls);
  }

  @Test
  void aStoppedInfraIsNotKilledAgain() throws Exception {
    runtime.status = RuntimeState.Status.STOPPED;

    infra().releaseOnStop(ID).action().run();

    assertEquals(List.of(), runtime.calls);
  }
}
