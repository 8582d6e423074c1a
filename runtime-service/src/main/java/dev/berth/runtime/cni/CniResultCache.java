package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.runtime.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * What DEL needs from ADD, one JSON file per sandbox, kept across daemon restarts: the network
 * config as it was at ADD (the conf dir may have changed since), the CNI_ARGS and capability
 * arguments, and the final result, which DEL hands back as prevResult.
 *
 * <p>Files are replaced through {@link AtomicFiles} (temp file, fsync, rename, fsync of the
 * directory) so a crash leaves either the old entry or the new one, never half of one. A write
 * that need not survive a node crash may skip the fsyncs (see {@link #write(Entry, boolean)}).
 */
public final class CniResultCache {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  /**
   * One sandbox's attachment.
   *
   * @param result null while ADD is in flight: the entry is written before the first plugin runs
   *     so that a daemon that dies half way still knows what to DEL
   */
  public record Entry(
      String sandboxId, String ifName, String cniArgs, JsonNode networkConfig, JsonNode runtimeConfig,
      JsonNode result) {

    public Entry {
      // Jackson reads a JSON null into a JsonNode field as NullNode; "absent" is easier as null.
      runtimeConfig = runtimeConfig == null || runtimeConfig.isNull() ? null : runtimeConfig;
      result = result == null || result.isNull() ? null : result;
    }

    Entry withResult(JsonNode newResult) {
      return new Entry(sandboxId, ifName, cniArgs, networkConfig, runtimeConfig, newResult);
    }
  }

  private final Path directory;

  /** Opened once at start-up: temp files of writes a killed daemon did not finish go first. */
  public CniResultCache(Path directory) {
    this.directory = directory;
    try {
      AtomicFiles.removeTempFiles(directory);
    } catch (IOException e) {
      // Only litter: an entry is always replaced whole, never read from a temp file.
      LoggerFactory.getLogger(CniResultCache.class).warn("cannot remove temp files in {}: {}", directory, e.toString());
    }
  }

  public void write(Entry entry) throws IOException {
    write(entry, true);
  }

  /**
   * @param durable false skips both fsyncs: the replacement is still atomic (never half an
   *     entry), but a crash of the whole node may bring back the entry it replaced
   */
  public void write(Entry entry, boolean durable) throws IOException {
    AtomicFiles.write(file(entry.sandboxId()), JSON.writeValueAsBytes(entry), durable);
  }

  /**
   * @return the entry, or empty when none was written
   * @throws IOException when the entry exists but cannot be read or parsed
   */
  public Optional<Entry> read(String sandboxId) throws IOException {
    Path file = file(sandboxId);
    try {
      return Optional.of(JSON.readValue(Files.readAllBytes(file), Entry.class));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Moves an unreadable entry to {@code <dir>.quarantine/} for the operator to look at, so that
   * it no longer stands in the way of the sandbox's DEL; returns where it went.
   */
  public Path quarantine(String sandboxId) throws IOException {
    Path target = directory.resolveSibling(directory.getFileName() + ".quarantine").resolve(file(sandboxId)
        .getFileName());
    Files.createDirectories(target.getParent());
    Files.move(file(sandboxId), target, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory();
    return target;
  }

  public void remove(String sandboxId) throws IOException {
    if (Files.deleteIfExists(file(sandboxId))) {
      syncDirectory();
    }
  }

  Path file(String sandboxId) {
    if (sandboxId == null || !SAFE_ID.matcher(sandboxId).matches()) {
      throw new IllegalArgumentException("sandbox id is not usable as a cache file name: " + sandboxId);
    }
    return directory.resolve(sandboxId + ".json");
  }

  /** The rename or removal is durable only once the directory entry itself is on disk. */
  private void syncDirectory() throws IOException {
    AtomicFiles.fsyncDirectory(directory);
  }
}
