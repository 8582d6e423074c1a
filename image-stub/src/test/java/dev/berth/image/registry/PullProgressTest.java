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
  void theEndOfABlobBodyStartsAFreshClockRatherThanStoppingIt() throws IOException {
    PullProgress progress = new PullProgress();
    try (InputStream in = progress.trackBlob(new ByteArrayInputStream(new byte[100]), "reading blob sha256:ab")) {
      in.readAllBytes();
    }
    // Other layers of the pull may still be downloading: their stall must still be seen.
    assertFalse(progress.local());
    assertTrue(progress.idle().toMillis() < 1000);
    assertEquals("storing blob sha256:ab", progress.activity());
  }

  @Test
  void withSeveralBlobsOpenTheActivityNamesThoseNotYetEnded() throws IOException {
    PullProgress progress = new PullProgress();
    try (InputStream done = progress.trackBlob(new ByteArrayInputStream(new byte[10]), "reading blob sha256:aa");
        InputStream stalled = progress.trackBlob(new ByteArrayInputStream(new byte[10]), "reading blob sha256:bb")) {
      done.readAllBytes();
      assertEquals(1, stalled.read(new byte[1]));
      assertEquals("reading blob sha256:bb", progress.activity());
    }
  }
}
