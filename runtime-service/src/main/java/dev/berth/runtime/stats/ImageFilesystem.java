package dev.berth.runtime.stats;

import dev.berth.linux.MountTable;
import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Size and inodes of the filesystem under the writable layers: one statfs per scrape; its device looked up once. */
public final class ImageFilesystem {

  private static final Logger log = LoggerFactory.getLogger(ImageFilesystem.class);

  private final Path mountPoint;
  private final String device;

  public ImageFilesystem(Path mountPoint) {
    this.mountPoint = mountPoint;
    String source;
    try {
      source = MountTable.sourceOf(mountPoint).orElse(mountPoint.toString());
    } catch (IOException e) {
      source = mountPoint.toString();
    }
    this.device = source;
  }

  /** The mount point of the filesystem, as ImageFsInfo and CRI stats name it. */
  public String mountPoint() {
    return mountPoint.toString();
  }

  public Optional<FilesystemSample> read() {
    try {
      Syscalls.FsStats stats = Syscalls.statfs(mountPoint);
      return Optional.of(new FilesystemSample(device, stats.totalBytes(), stats.totalInodes(), stats.freeInodes()));
    } catch (IOException e) {
      log.debug("statfs {}: {}", mountPoint, e.toString());
      return Optional.empty();
    }
  }
}
