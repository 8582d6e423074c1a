package dev.berth.runtime.store;

import dev.berth.image.store.PrivateDirectory;
import dev.berth.image.store.RecordFormat;
import dev.berth.runtime.model.Ids;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON file per object, {@code <dir>/<id>/record.json}, written atomically in the versioned
 * {@link RecordFormat}. Loading never fails as a whole for one bad record: a record that cannot
 * be read is moved to {@code <dir>.quarantine/} and reported, and the rest load. A record of a
 * newer format is not bad but a newer Berth's: loading stops with
 * {@link RecordFormat.NewerFormatException} and leaves every file as it is.
 */
public final class RecordStore<T> {

  private static final Logger log = LoggerFactory.getLogger(RecordStore.class);
  private static final String FILE = "record.json";

  private final Path dir;
  private final Class<T> type;

  public RecordStore(Path dir, Class<T> type) throws IOException {
    this.dir = PrivateDirectory.create(dir);
    this.type = type;
  }

  /** The directory that holds every object's directory. */
  public Path dir() {
    return dir;
  }

  /** The directory that belongs to one object (its bundle, its files); made on first use. */
  public Path objectDir(String id) {
    if (!Ids.isFullId(id)) {
      throw new IllegalArgumentException("not an id: " + id);
    }
    return dir.resolve(id);
  }

  public void save(String id, T record) throws IOException {
    save(id, record, AtomicFiles.Durability.FULL);
  }

  /**
   * Saves with less than a full fsync where a node crash cannot make the difference matter:
   * {@link AtomicFiles.Durability#CONTENT} for the first record of an object whose durable
   * {@link CreationIntent} note undoes it when the record's name is lost,
   * {@link AtomicFiles.Durability#NONE} for a change of state that a node crash makes moot.
   */
  public void save(String id, T record, AtomicFiles.Durability durability) throws IOException {
    AtomicFiles.write(objectDir(id).resolve(FILE), RecordFormat.write(record), durability);
  }

  /** Whether the object has a saved record (a finished create). */
  public boolean exists(String id) {
    return Files.exists(objectDir(id).resolve(FILE));
  }

  /** Removes the object's whole directory. */
  public void delete(String id) throws IOException {
    deleteTree(objectDir(id));
  }

  public record Loaded<T>(List<T> records, List<String> quarantined) {}

  public Loaded<T> loadAll() throws IOException {
    List<T> records = new ArrayList<>();
    List<String> quarantined = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.sorted().toList()) {
        String id = entry.getFileName().toString();
        if (!Ids.isFullId(id) || !Files.isDirectory(entry)) {
          continue;
        }
        AtomicFiles.removeTempFiles(entry);
        Path file = entry.resolve(FILE);
        if (!Files.exists(file) && CreationIntent.exists(entry)) {
          // Half made, and its undo did not finish: kept, with its note, for the next start.
          continue;
        }
        if (!Files.exists(file)) {
          // Created but never saved: a crash between mkdir and the first save. Nothing to keep.
          deleteTree(entry);
          continue;
        }
        try {
          records.add(RecordFormat.read(file, Files.readAllBytes(file), type));
        } catch (RecordFormat.NewerFormatException e) {
          throw e;
        } catch (IOException e) {
          quarantine(entry, e);
          quarantined.add(id);
        }
      }
    }
    return new Loaded<>(records, quarantined);
  }

  /** Where unreadable records are moved, one directory per object id, kept for the operator. */
  public Path quarantineDir() {
    return dir.resolveSibling(dir.getFileName() + ".quarantine");
  }

  private void quarantine(Path entry, IOException cause) throws IOException {
    Path target = quarantineDir().resolve(entry.getFileName());
    PrivateDirectory.create(target.getParent());
    deleteTree(target);
    Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE);
    log.error("{} record {} is unreadable and was moved to {}: {}", type.getSimpleName(),
        entry.getFileName(), target, cause.getMessage());
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    // A walk would descend into a mount still below (a container's overlay rootfs), delete
    // through it and leave the mount: detach those first, deepest first.
    Path absolute = root.toAbsolutePath().normalize();
    for (Path mount : dev.berth.linux.MountTable.mountPoints().stream()
        .filter(m -> m.startsWith(absolute)).sorted(Comparator.reverseOrder()).toList()) {
      dev.berth.linux.Syscalls.umount2(mount, dev.berth.linux.Syscalls.MNT_DETACH);
      log.warn("unmounted {} left below {} before deleting it", mount, absolute);
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
