package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ListImagesRequest;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.image.store.RecordFormat;
import dev.berth.runtime.testing.DaemonProcess;
import dev.berth.runtime.testing.PodTestCase;
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
 * An in-place upgrade with running pods: the records on disk are rewritten in format 0 (what
 * Berth wrote before records carried a version, as the golden records in the unit tier) while
 * the daemon is down, and the daemon that starts on them keeps every pod running and manageable.
 * A record of a newer format makes the daemon refuse to start and leaves everything as it was.
 */
@Tag("integration")
@Timeout(300)
class RecordUpgradeTest extends PodTestCase {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Test
  void podsRunningUnderFormat0RecordsStayRunningAndManageable() throws Exception {
    String infraPod = env.runPod(env.sharedPidPodConfig("upgrade-infra").build());
    String plainPod = env.runPod();
    String inInfraPod = env.runContainer(infraPod, env.containerConfig("app", "sleep", "600").build());
    String inPlainPod = env.runContainer(plainPod, env.containerConfig("app", "sleep", "600").build());
    long startedAt = env.status(inInfraPod).getStartedAt();
    Path root = env.daemon().root();

    List<Path> rewritten = new ArrayList<>();
    env.restartAfter(() -> rewritten.addAll(rewriteInFormat0(root)));

    for (Path file : List.of(root.resolve("sandboxes").resolve(infraPod).resolve("record.json"),
        root.resolve("sandboxes").resolve(plainPod).resolve("record.json"),
        root.resolve("containers").resolve(inInfraPod).resolve("record.json"),
        root.resolve("images/containers").resolve(inPlainPod).resolve("snapshot.json"),
        root.resolve("images/images.json"))) {
      assertTrue(rewritten.contains(file), file + " rewritten in format 0: " + rewritten);
    }
    for (String pod : List.of(infraPod, plainPod)) {
      assertEquals(PodSandboxState.SANDBOX_READY, env.runtime().podSandboxStatus(
          PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
    }
    for (String container : List.of(inInfraPod, inPlainPod)) {
      assertEquals(ContainerState.CONTAINER_RUNNING, env.status(container).getState());
      assertEquals("alive\n", env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
          .addAllCmd(List.of("echo", "alive")).setTimeout(10).build()).getStdout().toStringUtf8());
    }
    assertEquals(startedAt, env.status(inInfraPod).getStartedAt());
    assertEquals(1, env.daemon().client().images().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
    assertFalse(Files.exists(root.resolve("sandboxes.quarantine")), "no pod quarantined");
    assertFalse(Files.exists(root.resolve("containers.quarantine")), "no container quarantined");

    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(infraPod).build());
    assertEquals(RecordFormat.CURRENT, RecordFormat.versionOf(
        JSON.readTree(root.resolve("sandboxes").resolve(infraPod).resolve("record.json").toFile())),
        "a record changed after the upgrade is written in the current format");
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(infraPod).build());
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(plainPod).build());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(plainPod).build());
    assertFalse(Files.exists(root.resolve("sandboxes").resolve(plainPod)));
    assertFalse(Files.exists(root.resolve("containers").resolve(inPlainPod)));
  }

  @Test
  void aRecordOfANewerFormatStopsTheStartAndThePodKeepsRunning() throws Exception {
    String pod = env.runPod();
    String container = env.runContainer(pod, env.containerConfig("app", "sleep", "600").build());
    Path record = env.daemon().root().resolve("containers").resolve(container).resolve("record.json");
    long pid = JSON.readTree(record.toFile()).get("pid").asLong();
    assertTrue(pid > 0, "the record holds the container's pid");

    env.restartAfter(() -> {
      ObjectNode newer = (ObjectNode) JSON.readTree(record.toFile());
      newer.put(RecordFormat.VERSION_FIELD, RecordFormat.CURRENT + 1);
      Files.write(record, JSON.writeValueAsBytes(newer));
      byte[] before = Files.readAllBytes(record);

      DaemonProcess refused = DaemonProcess.launch(env.dir().resolve("d"), "--config",
          env.dir().resolve("berth.toml").toString());
      try {
        assertNotEquals(0, refused.awaitExit(Duration.ofSeconds(60)));
        String output = refused.output();
        assertTrue(output.contains(record.toString()) && output.contains("newer Berth"), output);
      } finally {
        refused.close();
      }
      assertEquals(-1, Files.mismatch(record, Files.write(env.dir().resolve("expected-record.json"), before)),
          "the record is left as the newer Berth wrote it");
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the container still runs");

      // The newer Berth comes back (here: the record as this version wrote it).
      newer.put(RecordFormat.VERSION_FIELD, RecordFormat.CURRENT);
      Files.write(record, JSON.writeValueAsBytes(newer));
    });

    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(container).getState());
    assertFalse(Files.exists(env.daemon().root().resolve("containers.quarantine")));
  }

  /** Every record below the root, as format 0 wrote it; returns the files rewritten. */
  private static List<Path> rewriteInFormat0(Path root) throws IOException {
    List<Path> files = new ArrayList<>();
    for (String kind : List.of("sandboxes", "containers", "images/containers")) {
      try (Stream<Path> dirs = Files.list(root.resolve(kind))) {
        for (Path dir : dirs.toList()) {
          for (String name : List.of("record.json", "snapshot.json")) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
              ObjectNode record = (ObjectNode) JSON.readTree(file.toFile());
              assertEquals(RecordFormat.CURRENT, RecordFormat.versionOf(record), "written by this version: " + file);
              record.remove(RecordFormat.VERSION_FIELD);
              Files.write(file, JSON.writeValueAsBytes(record));
              files.add(file);
            }
          }
        }
      }
    }
    Path catalog = root.resolve("images/images.json");
    JsonNode images = JSON.readTree(catalog.toFile());
    assertEquals(RecordFormat.CURRENT, RecordFormat.versionOf(images));
    Files.write(catalog, JSON.writeValueAsBytes(images.get("images")));
    files.add(catalog);
    return files;
  }
}
