package dev.berth.runtime.container;

import dev.berth.runtime.model.CriException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Where conmon may write a container's log: the kubelet's {@code log_path}, relative to the pod's
 * {@code log_directory}, and nowhere else. conmon opens the file with O_CREAT and follows
 * symbolic links, so a link below the log directory (a subdirectory or the file itself) would
 * let a log land anywhere on the node. The kubelet makes no links there, so one found there is
 * refused rather than followed. The log directory itself is taken as given: a node may keep
 * /var/log on another disk through a link, and that is the administrator's choice.
 */
final class ContainerLogPath {

  private ContainerLogPath() {}

  /**
   * Checks {@code relative} against {@code logDirectory}, creates the missing directories on the
   * way (never through a link) and returns the log file's path.
   */
  static Path prepare(String logDirectory, String relative) {
    Path dir = Path.of(logDirectory).normalize();
    Path relativePath = Path.of(relative);
    Path path = dir.resolve(relative).normalize();
    if (relativePath.isAbsolute() || !path.startsWith(dir) || path.equals(dir)) {
      throw refused(relative, "leaves the sandbox log directory " + dir);
    }
    try {
      Files.createDirectories(dir);
      Path current = dir;
      Path inside = dir.relativize(path);
      for (int i = 0; i < inside.getNameCount(); i++) {
        current = current.resolve(inside.getName(i));
        boolean last = i == inside.getNameCount() - 1;
        if (Files.isSymbolicLink(current)) {
          throw refused(relative, current + " is a symbolic link (to " + Files.readSymbolicLink(current)
              + "); the log must stay inside the sandbox log directory " + dir);
        }
        if (last) {
          if (Files.exists(current, LinkOption.NOFOLLOW_LINKS)
              && !Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS)) {
            throw refused(relative, current + " exists and is not a regular file");
          }
        } else if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectory(current);
        } else if (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
          throw refused(relative, current + " exists and is not a directory");
        }
      }
      return path;
    } catch (IOException e) {
      throw new CriException.Internal("prepare container log " + path + ": " + e.getMessage(), e);
    }
  }

  private static CriException.InvalidArgument refused(String relative, String why) {
    return new CriException.InvalidArgument("container config log_path \"" + relative + "\": " + why);
  }
}
