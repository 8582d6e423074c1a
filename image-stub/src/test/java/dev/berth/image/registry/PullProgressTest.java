package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PullProgressTest {

  @Test
  void theClockStopsForLocalWorkAndRunsAgainAtTheNextRequest() throws Exception {
    PullProgress progress = new PullProgress();
    progress.step("waiting for a manifest");
    Thread.sleep(30);
    assertTrue(progress.idle().toMillis() >= 30);
    progress.localWork("unpacking");
    Thread.sleep(30);
    assertEquals(Duration.ZERO, progress.idle(), "a slow unpack is no registry stall");
    assertEquals("unpacking", progress.activity());
    progress.step("waiting for a blob");
    assertFalse(progress.local());
  }

  @Test
  void theEndOfABlobBodyTurnsToLocalWork() throws IOException {
    PullProgress progress = new PullProgress();
    progress.step("reading blob sha256:ab");
    try (InputStream in = progress.trackBlob(new ByteArrayInputStream(new byte[100]))) {
      in.readAllBytes();
    }
    assertTrue(progress.local(), "syncing the blob to disk is no registry stall");
    assertEquals("storing blob sha256:ab", progress.activity());
  }
}
