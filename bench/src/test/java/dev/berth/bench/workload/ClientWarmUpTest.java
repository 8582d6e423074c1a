package dev.berth.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientWarmUpTest {

  @Test
  void everyWarmUpCallIsAnsweredAndTheServerLeavesNoSocket(@TempDir Path work) throws Exception {
    assertEquals(ClientWarmUp.CALLS, ClientWarmUp.run(work));
    assertFalse(Files.exists(work.resolve("warm-up.sock")));
  }
}
