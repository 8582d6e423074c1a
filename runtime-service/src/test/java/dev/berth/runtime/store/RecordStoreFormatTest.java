package dev.berth.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.image.store.RecordFormat;
import dev.berth.runtime.container.Container;
import dev.berth.runtime.container.ContainerState;
import dev.berth.runtime.sandbox.Sandbox;
import dev.berth.runtime.sandbox.SandboxState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod and container records of format 0 (golden copies in {@code records/v0/}, written by a real
 * daemon before records carried a version) load as the same objects, never quarantined.
 */
class RecordStoreFormatTest {

  /** Format 0's reader, as RecordStore was: the reference for "the same objects". */
  static final ObjectMapper FORMAT_0 = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  @TempDir
  Path dir;

  static byte[] golden(String name) throws IOException {
    try (InputStream in = RecordStoreFormatTest.class.getResourceAsStream("/records/v0/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no golden record " + name);
      }
      return in.readAllBytes();
    }
  }

  /** Puts a record file where a store of {@code kind} keeps it; returns the object's id. */
  private String place(String kind, byte[] record) throws IOException {
    String id = FORMAT_0.readTree(record).get("id").asText();
    Path objectDir = Files.createDirectories(dir.resolve(kind).resolve(id));
    Files.write(objectDir.resolve("record.json"), record);
    return id;
  }

  @Test
  void format0PodRecordsLoadAsTheSameSandboxes() throws Exception {
    byte[] withInfra = golden("sandbox-with-infra.json");
    byte[] second = golden("sandbox-second.json");
    place("sandboxes", withInfra);
    place("sandboxes", second);

    RecordStore.Loaded<Sandbox> loaded = new RecordStore<>(dir.resolve("sandboxes"), Sandbox.class).loadAll();

    assertEquals(List.of(), loaded.quarantined());
    Sandbox golden = FORMAT_0.readValue(withInfra, Sandbox.class);
    assertTrue(loaded.records().contains(golden), "the pod with its infra as format 0 read it");
    assertTrue(loaded.records().contains(FORMAT_0.readValue(second, Sandbox.class)));
    assertEquals(SandboxState.READY, golden.state());
    assertEquals(11104, golden.infraPid());
    assertEquals(List.of("10.96.0.10"), golden.spec().dnsServers());
    assertEquals(Map.of("app", "golden"), golden.spec().labels());
    assertEquals(80, golden.spec().portMappings().getFirst().containerPort());
  }

  @Test
  void aFormat0ContainerRecordLoadsAsTheSameContainer() throws Exception {
    byte[] record = golden("container-exited.json");
    place("containers", record);

    RecordStore.Loaded<Container> loaded = new RecordStore<>(dir.resolve("containers"), Container.class).loadAll();

    assertEquals(List.of(), loaded.quarantined());
    Container golden = FORMAT_0.readValue(record, Container.class);
    assertEquals(List.of(golden), loaded.records());
    assertEquals(ContainerState.EXITED, golden.state());
    assertEquals(1, golden.exitCode());
    assertEquals("/data", golden.spec().mounts().getFirst().containerPath());
    assertEquals(512, golden.spec().resources().cpuShares());
  }

  @Test
  void aSavedRecordIsTheFormat0FieldsLedByTheVersionAndLoadsBack() throws Exception {
    byte[] record = golden("container-exited.json");
    Container container = FORMAT_0.readValue(record, Container.class);
    RecordStore<Container> store = new RecordStore<>(dir.resolve("containers"), Container.class);

    store.save(container.id(), container);

    ObjectNode written = (ObjectNode) FORMAT_0.readTree(store.objectDir(container.id()).resolve("record.json").toFile());
    assertEquals(RecordFormat.VERSION_FIELD, written.fieldNames().next());
    assertEquals(RecordFormat.CURRENT, written.remove(RecordFormat.VERSION_FIELD).asInt());
    // Fields added since format 0 are written with the value a format-0 record reads as.
    assertEquals("", ((ObjectNode) written.get("spec")).remove("userSpecifiedImage").asText());
    for (com.fasterxml.jackson.databind.JsonNode mount : written.at("/spec/mounts")) {
      ObjectNode added = (ObjectNode) mount;
      assertEquals(false, added.remove("recursiveReadOnly").asBoolean());
      assertEquals("", added.remove("image").asText());
      assertEquals("", added.remove("imageSubPath").asText());
      assertTrue(added.remove("idmap").isNull());
    }
    assertEquals(FORMAT_0.readTree(record), written,
        "no field renamed, dropped or added besides the version and the fields added since");
    assertEquals(List.of(container), store.loadAll().records());
  }

  @Test
  void fieldsAnOlderRecordLacksAreDefaultedNotQuarantined() throws Exception {
    // A record written before these fields existed.
    ObjectNode old = (ObjectNode) FORMAT_0.readTree(golden("sandbox-with-infra.json"));
    old.remove(List.of("ips", "infraPid", "cgroupParent"));
    ((ObjectNode) old.get("spec")).remove(List.of("dnsOptions", "sysctls", "runtimeHandler", "sharedPid"));
    String id = place("sandboxes", FORMAT_0.writeValueAsBytes(old));

    RecordStore.Loaded<Sandbox> loaded = new RecordStore<>(dir.resolve("sandboxes"), Sandbox.class).loadAll();

    assertEquals(List.of(), loaded.quarantined());
    Sandbox sandbox = loaded.records().getFirst();
    assertEquals(id, sandbox.id());
    assertEquals(List.of(), sandbox.ips());
    assertEquals(0, sandbox.infraPid());
    assertEquals("", sandbox.cgroupParent());
    assertEquals(List.of(), sandbox.spec().dnsOptions());
    assertEquals(Map.of(), sandbox.spec().sysctls());
    assertEquals("", sandbox.spec().runtimeHandler());
    assertFalse(sandbox.spec().sharedPid());
    assertFalse(sandbox.spec().ownUserNamespace(), "records from before user namespaces are the node's");
    assertEquals(List.of("10.96.0.10"), sandbox.spec().dnsServers(), "the fields it has are kept");
  }

  @Test
  void aRecordOfANewerFormatStopsTheLoadAndNothingIsMovedOrChanged() throws Exception {
    ObjectNode newer = (ObjectNode) FORMAT_0.readTree(golden("sandbox-with-infra.json"));
    newer.put(RecordFormat.VERSION_FIELD, RecordFormat.CURRENT + 1);
    byte[] bytes = FORMAT_0.writeValueAsBytes(newer);
    String id = place("sandboxes", bytes);
    place("sandboxes", golden("sandbox-second.json"));
    RecordStore<Sandbox> store = new RecordStore<>(dir.resolve("sandboxes"), Sandbox.class);

    RecordFormat.NewerFormatException e = assertThrows(RecordFormat.NewerFormatException.class, store::loadAll);

    assertTrue(e.getMessage().contains(id) && e.getMessage().contains("newer Berth"), e.getMessage());
    assertEquals(-1, Files.mismatch(store.objectDir(id).resolve("record.json"), writeTemp(bytes)));
    assertFalse(Files.exists(store.quarantineDir()), "a newer record is not a corrupt one");
  }

  @Test
  void aCreationNoteOfANewerFormatIsUnreadableSoItsObjectIsUndoneByIdAlone() throws Exception {
    Path objectDir = Files.createDirectories(dir.resolve("c"));
    Files.writeString(objectDir.resolve(CreationIntent.FILE), "{\"formatVersion\": 99, \"id\": \"x\"}");
    assertTrue(CreationIntent.exists(objectDir));
    assertTrue(CreationIntent.read(objectDir, JsonNode.class).isEmpty());

    CreationIntent.write(objectDir, Map.of("id", "y"));
    assertEquals("y", CreationIntent.read(objectDir, JsonNode.class).orElseThrow().get("id").asText());
  }

  private Path writeTemp(byte[] bytes) throws IOException {
    return Files.write(dir.resolve("expected.json"), bytes);
  }
}
