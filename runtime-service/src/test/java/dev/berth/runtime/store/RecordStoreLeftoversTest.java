package dev.berth.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.linux.MountTable;
import dev.berth.linux.Syscalls;
import dev.berth.runtime.model.Ids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Object dirs without a record at start-up: half made ones wait for their undo, others go without leaking mounts. */
@Tag("integration")
class RecordStoreLeftoversTest {

  record Thing(String id) {}

  @TempDir
  Path dir;

  @Test
  void aDirWithoutRecordIsDeletedWithoutReachingThroughAMountBelowIt() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    String id = Ids.newId();
    Path mountpoint = Files.createDirectories(store.objectDir(id).resolve("bundle").resolve("rootfs"));
    Syscalls.mount("tmpfs", mountpoint, "tmpfs", 0, "size=1m");
    try {
      Files.writeString(mountpoint.resolve("inside"), "x");

      assertEquals(List.of(), store.loadAll().records());

      assertFalse(MountTable.isMountPoint(mountpoint), "the mount was detached, not left behind");
      assertFalse(Files.exists(store.objectDir(id)));
    } finally {
      if (MountTable.isMountPoint(mountpoint)) {
        Syscalls.umount2(mountpoint, Syscalls.MNT_DETACH);
      }
    }
  }

  @Test
  void aHalfMadeObjectKeepsItsDirAndNoteForItsUndo() throws Exception {
    RecordStore<Thing> store = new RecordStore<>(dir.resolve("things"), Thing.class);
    String halfMade = Ids.newId();
    CreationIntent.write(store.objectDir(halfMade), new Thing(halfMade));
    String complete = Ids.newId();
    store.save(complete, new Thing(complete));

    assertEquals(List.of(new Thing(complete)), store.loadAll().records());

    assertTrue(CreationIntent.exists(store.objectDir(halfMade)));
    assertEquals(new Thing(halfMade), CreationIntent.read(store.objectDir(halfMade), Thing.class).orElseThrow());
    assertTrue(store.exists(complete));
    assertFalse(store.exists(halfMade));
  }
}
