package dev.berth.runtime.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.shim.OciRuntime;
import dev.berth.shim.ShimException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A container checkpoint as one tar, laid out as CRI-O's: the CRIU image directory
 * ({@value #CRIU_DIR}/), the OCI {@value #CONFIG}, the rootfs changes as a tar of the overlay
 * upper dir ({@value #ROOTFS_DIFF}), what the restore needs to know ({@value #METADATA}), the
 * container as Berth recorded it ({@value #CONTAINER}) and its log so far ({@value #LOG}). A
 * CreateContainer whose image is the path of such a file restores it, CRI-O's convention.
 */
public final class CheckpointArchive {

  public static final String CRIU_DIR = "checkpoint";
  public static final String CONFIG = "config.json";
  public static final String ROOTFS_DIFF = "rootfs-diff.tar";
  public static final String METADATA = "berth-checkpoint.json";
  public static final String CONTAINER = "berth-container.json";
  public static final String LOG = "container.log";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TAR_TIMEOUT_MINUTES = 30;

  /** What a restore needs besides the CRIU images: the image the container ran and its name. */
  public record Metadata(String containerId, String name, String image, String imageId) {}

  private CheckpointArchive() {}

  /** CRI-O's test: an image reference that is an absolute path to an existing file is a checkpoint archive. */
  public static boolean isArchivePath(String image) {
    if (!image.startsWith("/")) {
      return false;
    }
    return Files.isRegularFile(Path.of(image));
  }

  /**
   * Pauses the container (cgroup freezer), dumps it leaving it running, archives the dump with
   * its bundle config and rootfs changes while it is still frozen (so the files match the
   * memory), then resumes it whatever happened.
   */
  public static void write(OciRuntime shim, Path bundle, Optional<Path> upperDir, Metadata metadata,
      byte[] containerJson, Optional<Path> log, Path location) throws IOException, ShimException {
    Path parent = location.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging = Files.createTempDirectory(parent, ".berth-checkpoint-");
    try {
      shim.pause(metadata.containerId());
      try {
        shim.checkpoint(metadata.containerId(), staging.resolve(CRIU_DIR), staging.resolve("work"), true);
        Files.copy(bundle.resolve(CONFIG), staging.resolve(CONFIG));
        if (upperDir.isPresent()) {
          tar(List.of("--xattrs", "--numeric-owner", "-C", upperDir.get().toString(), "-cf",
              staging.resolve(ROOTFS_DIFF).toString(), "."));
        }
        Files.write(staging.resolve(METADATA), JSON.writeValueAsBytes(metadata));
        Files.write(staging.resolve(CONTAINER), containerJson);
        if (log.isPresent() && Files.isRegularFile(log.get())) {
          Files.copy(log.get(), staging.resolve(LOG));
        }
      } finally {
        shim.resume(metadata.containerId());
      }
      deleteTree(staging.resolve("work"));
      Path partial = parent.resolve(location.getFileName() + ".partial");
      tar(List.of("--numeric-owner", "-C", staging.toString(), "-cf", partial.toString(), "."));
      Files.move(partial, location, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      deleteTree(staging);
    }
  }

  /**
   * Unpacks an archive into {@code into} (a new, empty directory of the daemon's) and checks that
   * it holds what a restore needs; an archive that does not is refused naming what is missing.
   */
  public static Unpacked unpack(Path archive, Path into) throws IOException {
    // Entries are kept inside `into` (GNU tar refuses `..` members and strips leading slashes).
    tar(List.of("--numeric-owner", "--no-same-permissions", "-C", into.toString(), "-xf", archive.toString()));
    for (String required : List.of(CRIU_DIR, CONFIG, METADATA, CONTAINER)) {
      if (!Files.exists(into.resolve(required), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("checkpoint archive " + archive + " has no " + required);
      }
    }
    return new Unpacked(into, JSON.readValue(into.resolve(METADATA).toFile(), Metadata.class));
  }

  /** An archive unpacked for a restore. */
  public record Unpacked(Path dir, Metadata metadata) {

    public Path criuImages() {
      return dir.resolve(CRIU_DIR);
    }

    public Path ociConfig() {
      return dir.resolve(CONFIG);
    }

    public Path container() {
      return dir.resolve(CONTAINER);
    }

    public Optional<Path> log() {
      Path log = dir.resolve(LOG);
      return Files.isRegularFile(log, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Optional.of(log) : Optional.empty();
    }

    /** Writes the rootfs changes (overlay whiteouts included) into a new container's upper dir. */
    public void extractRootfsChanges(Path upperDir) throws IOException {
      Path diff = dir.resolve(ROOTFS_DIFF);
      if (Files.isRegularFile(diff, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        tar(List.of("--xattrs", "--xattrs-include=*", "--numeric-owner", "--same-permissions", "-C",
            upperDir.toString(), "-xf", diff.toString()));
      }
    }
  }

  private static byte[] tar(List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("tar");
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
    process.getOutputStream().close();
    byte[] output = process.getInputStream().readAllBytes();
    String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    try {
      if (!process.waitFor(TAR_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + errors);
    }
    return output;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
