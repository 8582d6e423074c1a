package dev.berth.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher over a plain directory, with exit files written as conmon does (temp file, rename). */
class ExitWatcherTest {

  @TempDir
  Path exitDir;

  @Test
  void aCallbackThatWaitsDoesNotHoldUpAnotherContainersExit() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    LinkedBlockingQueue<String> reported = new LinkedBlockingQueue<>();
    try (ExitWatcher watcher = new ExitWatcher(exitDir, (id, exit) -> {
      if (id.equals("stuck")) {
        // As a container whose lock is held by a slow call.
        awaitQuietly(release);
      }
      reported.add(id + "=" + exit.exitCode());
    })) {
      writeExit("stuck", 1);
      writeExit("other", 0);
      assertEquals("other=0", reported.poll(30, TimeUnit.SECONDS));
      release.countDown();
      assertEquals("stuck=1", reported.poll(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aDeletedExitFileIsForgottenSoTheSameNameReportsAgain() throws Exception {
    LinkedBlockingQueue<String> reported = new LinkedBlockingQueue<>();
    try (ExitWatcher watcher = new ExitWatcher(exitDir, (id, exit) -> reported.add(id + "=" + exit.exitCode()))) {
      writeExit("c1", 3);
      assertEquals("c1=3", reported.poll(30, TimeUnit.SECONDS));
      Files.delete(exitDir.resolve("c1"));
      // Give the watcher the delete event before the name comes back.
      Thread.sleep(200);
      writeExit("c1", 3);
      assertEquals("c1=3", reported.poll(30, TimeUnit.SECONDS));
      assertTrue(reported.isEmpty());
    }
  }

  private void writeExit(String id, int code) throws Exception {
    Path temp = exitDir.resolve(id + ".tmp123");
    Files.writeString(temp, Integer.toString(code));
    // One finish time for every write: a name that comes back is reported only because it was forgotten.
    Files.setLastModifiedTime(temp, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L));
    Files.move(temp, exitDir.resolve(id), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
