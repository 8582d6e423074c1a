package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cgroup.CgroupMounts;
import dev.berth.runtime.checkpoint.CriuSupport;
import dev.berth.runtime.events.ContainerEvents;
import dev.berth.runtime.model.CriException;
import dev.berth.runtime.oci.OciSpec;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.store.RecordStore;
import dev.berth.shim.ExitRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container manager in front of a fake OCI runtime: what it hands the runtime for a running
 * container (exec processes, resource updates, signals), with no root, runc or conmon.
 */
class ContainerManagerRuntimeTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "c0ffee".repeat(10) + "c0ff";

  @TempDir
  Path root;
  private final FakeOciRuntime runtime = new FakeOciRuntime();
  private RecordStore<Container> store;
  private ContainerManager manager;
  private OciSpec spec;

  /** A running container adopted as at start-up, its bundle holding the spec the translation made. */
  @BeforeEach
  void runningContainer() throws Exception {
    store = new RecordStore<>(root.resolve("containers"), Container.class);
    manager = new ContainerManager(new ContainerManager.Parts(store, root.resolve("pods"), null, runtime, null,
        -999, 0, new ContainerEvents(), new CriuSupport(root.resolve("no-criu")),
        // A v2 node in a temp dir: the runtime sets every limit, nothing is held back for the model.
        CgroupModel.of(new CgroupMounts(Map.of(), root.resolve("cgroup2"), List.of(root.resolve("cgroup2"))), List.of()),
        null, null));
    TranslationFixture fixture = new TranslationFixture();
    fixture.runAsUser = 1000L;
    fixture.env = List.of("MODE=pod");
    fixture.workingDir = "/work";
    spec = fixture.translate().spec();
    Path bundle = Files.createDirectories(store.objectDir(ID).resolve("bundle"));
    OciSpecJson.write(bundle, spec);
    ContainerRequest request = fixture.request();
    ContainerSpec containerSpec = new ContainerSpec("app", 0, request.image(), "sha256:5e3b1c", "sha256:5e3b1c",
        spec.process().args(), spec.process().env(), "/work", 1000, 1000, List.of(1000L), List.of(), List.of(),
        request.labels(), request.annotations(), "", false, false, false, "SIGQUIT", LinuxResources.NONE, "");
    Container running = new Container(ID, "5f0a", containerSpec, ContainerState.CREATED, 1, 0, 0, 0, "", "", 4242)
        .started(2, 4242);
    store.save(ID, running);
    manager.adopt(running);
  }

  @Test
  void anExecRunsAsTheContainersProcessWithItsOwnCommand() throws Exception {
    manager.execSync(ID, List.of("cat", "/etc/hostname"), Duration.ofSeconds(5));

    JsonNode exec = JSON.readTree(runtime.execProcesses.getFirst());
    JsonNode main = JSON.readTree(OciSpecJson.text(spec.process()));
    assertEquals(JSON.readTree("[\"cat\", \"/etc/hostname\"]"), exec.get("args"));
    assertEquals(false, exec.get("terminal").asBoolean());
    for (String same : List.of("user", "env", "cwd", "capabilities", "noNewPrivileges")) {
      assertEquals(main.get(same), exec.get(same), same + " is the container's");
    }
  }

  @Test
  void anExecDoesNotTouchTheBundlesConfig() throws Exception {
    Path config = store.objectDir(ID).resolve("bundle").resolve(OciSpecJson.CONFIG);
    byte[] before = Files.readAllBytes(config);
    manager.execSync(ID, List.of("true"), Duration.ofSeconds(5));
    manager.execSync(ID, List.of("false"), Duration.ofSeconds(5));
    assertEquals(new String(before), new String(Files.readAllBytes(config)));
    assertEquals(2, runtime.execProcesses.size());
  }

  @Test
  void anEmptyExecCommandNeverReachesTheRuntime() {
    assertThrows(CriException.InvalidArgument.class, () -> manager.execSync(ID, List.of(), Duration.ofSeconds(5)));
    assertEquals(List.of(), runtime.calls);
  }

  @Test
  void anUpdateHandsTheRuntimeTheLimitsAndRecordsThem() throws Exception {
    LinuxResources limits = new LinuxResources(100000, 50000, 256, 64L << 20, 0, "", "", 0, List.of());
    manager.updateResources(ID, limits);

    assertEquals(JSON.readTree("""
        {"memory": {"limit": 67108864}, "cpu": {"shares": 256, "quota": 50000, "period": 100000}}"""),
        JSON.readTree(runtime.updates.getFirst()));
    assertEquals(limits, manager.require(ID).spec().resources());
    assertEquals(limits, store.loadAll().records().getFirst().spec().resources());
  }

  @Test
  void stopSendsTheStopSignalAndReturnsOnceTheRuntimeReportsTheExit() {
    runtime.onKill = (id, signal) -> manager.onExit(id, new ExitRecord(0, Instant.now()));
    manager.stop(ID, Duration.ofSeconds(30));

    assertEquals(List.of("kill " + ID + " 3"), runtime.calls, "SIGQUIT, the container's stop signal, and no SIGKILL");
    assertEquals(ContainerState.EXITED, manager.require(ID).state());
    assertEquals("Completed", manager.require(ID).reason());
  }
}
