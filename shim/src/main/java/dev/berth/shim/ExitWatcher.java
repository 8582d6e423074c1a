package dev.berth.shim;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Reports each exit file conmon writes into the exit dir, once, each on a virtual thread of its
 * own: a callback that waits (for a container's lock, say) never holds up other containers'
 * exits. Only files that appear after {@link ConmonShim#watchExits} returns are reported; exits
 * from before (a daemon restart) are read with {@link ConmonShim#exit}.
 */
public final class ExitWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExitWatcher.class);
  /** conmon first writes {@code <id>.XXXXXX} and renames it to {@code <id>}; ids never hold a dot. */
  private static final Pattern EXIT_FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

  private final Path exitDir;
  private final BiConsumer<String, ExitRecord> onExit;
  private final WatchService watcher;
  private final Map<String, Instant> reported = new ConcurrentHashMap<>();
  private final Thread thread;

  ExitWatcher(Path exitDir, BiConsumer<String, ExitRecord> onExit) throws IOException {
    this.exitDir = exitDir;
    this.onExit = onExit;
    this.watcher = exitDir.getFileSystem().newWatchService();
    exitDir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    // Files already there are old news, except that a rewrite of one is a new exit.
    try (DirectoryStream<Path> files = Files.newDirectoryStream(exitDir)) {
      for (Path file : files) {
        ExitFiles.read(file).ifPresent(exit -> reported.put(file.getFileName().toString(), exit.finishedAt()));
      }
    }
    // A virtual thread does not pin here: the JDK's watch service polls inotify on its own
    // platform thread, and take() only parks on a queue.
    this.thread = Thread.ofVirtual().name("exit-watcher").start(this::run);
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = watcher.take();
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
            rescan();
          } else if (event.kind() == StandardWatchEventKinds.ENTRY_DELETE && event.context() instanceof Path name) {
            // The container was deleted: forget it, or the map grows with every container ever run.
            reported.remove(name.toString());
          } else if (event.context() instanceof Path name) {
            consider(name.toString());
          }
        }
        if (!key.reset()) {
          log.warn("exit dir {} is no longer watchable; exit watcher stops", exitDir);
          return;
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed
    }
  }

  private void rescan() {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(exitDir)) {
      for (Path file : files) {
        consider(file.getFileName().toString());
      }
    } catch (IOException e) {
      log.warn("rescanning exit dir {}: {}", exitDir, e.toString());
    }
  }

  private void consider(String name) {
    if (!EXIT_FILE.matcher(name).matches()) {
      return;
    }
    ExitFiles.read(exitDir.resolve(name)).ifPresent(exit -> {
      Instant previous = reported.put(name, exit.finishedAt());
      if (exit.finishedAt().equals(previous)) {
        return;
      }
      Thread.ofVirtual().name("exit-" + name).start(() -> {
        try {
          onExit.accept(name, exit);
        } catch (RuntimeException e) {
          log.warn("exit callback for {} failed", name, e);
        }
      });
    });
  }

  @Override
  public void close() {
    try {
      watcher.close();
    } catch (IOException e) {
      log.debug("closing watch service: {}", e.toString());
    }
    try {
      thread.join(java.time.Duration.ofSeconds(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
