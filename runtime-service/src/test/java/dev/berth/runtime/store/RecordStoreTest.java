package dev.berth.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.model.Ids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordStoreTest {

  record Thing(String id, int size, List<String> tags) {}

  @TempDir
  Path dir;

  @Test
  void savedRecordsLoadBack() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    Thing thing = new Thing(Ids.newId(), 3, List.of("a", "b"));
    store.save(thing.id(), thing);
    store.save(thing.id(), new Thing(thing.id(), 4, List.of()));
    assertEquals(List.of(new Thing(thing.id(), 4, List.of())), store.loadAll().records());
    try (var files = Files.list(store.objectDir(thing.id()))) {
      assertEquals(List.of("record.json"), files.map(p -> p.getFileName().toString()).toList(), "no temp files stay");
    }
  }

  @Test
  void recordsSavedWithLessThanFullDurabilityReplaceAtomicallyAndLoadBack() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    Thing thing = new Thing(Ids.newId(), 1, List.of("created"));
    store.save(thing.id(), thing, AtomicFiles.Durability.CONTENT);
    Thing started = new Thing(thing.id(), 2, List.of("started"));
    store.save(thing.id(), started, AtomicFiles.Durability.NONE);

    assertEquals(List.of(started), store.loadAll().records());
    try (var files = Files.list(store.objectDir(thing.id()))) {
      assertEquals(List.of("record.json"), files.map(p -> p.getFileName().toString()).toList(), "no temp files stay");
    }
  }

  @Test
  void aCorruptRecordIsQuarantinedAndTheOthersLoad() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    Thing good = new Thing(Ids.newId(), 1, List.of());
    String badId = Ids.newId();
    store.save(good.id(), good);
    store.save(badId, new Thing(badId, 2, List.of()));
    Files.writeString(store.objectDir(badId).resolve("record.json"), "{\"id\": \"trunc");

    RecordStore.Loaded<Thing> loaded = store.loadAll();
    assertEquals(List.of(good), loaded.records());
    assertEquals(List.of(badId), loaded.quarantined());
    assertFalse(Files.exists(store.objectDir(badId)));
    assertTrue(Files.exists(dir.resolve("things.quarantine").resolve(badId).resolve("record.json")));
  }

  @Test
  void anObjectDirectoryWithoutARecordIsLeftoverAndGoes() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    String id = Ids.newId();
    Files.createDirectories(store.objectDir(id).resolve("bundle"));
    assertEquals(List.of(), store.loadAll().records());
    assertFalse(Files.exists(store.objectDir(id)));
  }

  @Test
  void tempFilesOfAWriteCutShortAreRemovedAtLoadAndTheRecordKept() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    String id = Ids.newId();
    store.save(id, new Thing(id, 1, List.of()));
    Path leftover = Files.writeString(store.objectDir(id).resolve(".record.json.tmp-4242-1"), "{\"id\":");

    assertEquals(List.of(new Thing(id, 1, List.of())), store.loadAll().records());
    assertFalse(Files.exists(leftover));
  }
}
