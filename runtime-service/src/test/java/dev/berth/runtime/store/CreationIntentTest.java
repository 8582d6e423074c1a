package dev.berth.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CreationIntentTest {

  record Intent(String cgroup, int attempt) {}

  @TempDir
  Path dir;

  @Test
  void aNoteSyncedBesideIsThereForAKilledDaemonBeforeItsFsyncsEnd() throws Exception {
    Path objectDir = Files.createDirectory(dir.resolve("0123"));

    CreationIntent.Syncing note = CreationIntent.writeSyncingBeside(objectDir, new Intent("/pod/0123", 2));

    // What a start-up after a kill reads, whether or not the fsyncs have run yet.
    assertTrue(CreationIntent.exists(objectDir));
    assertEquals(Optional.of(new Intent("/pod/0123", 2)), CreationIntent.read(objectDir, Intent.class));
    note.awaitDurable();
    try (var entries = Files.list(objectDir)) {
      assertFalse(entries.anyMatch(AtomicFiles::isTempFile), "a temp file was left beside the note");
    }
  }
}
