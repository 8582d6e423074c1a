package dev.berth.runtime.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A path inside an image's rootfs, resolved as the container will see it: symbolic links are
 * followed with the rootfs as "/" and ".." stops at it. The image controls every link in its
 * rootfs, and a link to "/etc" must name the image's /etc, never the node's.
 */
final class RootfsPath {

  /** As Linux: more links than this on one path is a loop. */
  private static final int MAX_LINKS = 40;

  private RootfsPath() {}

  /** The host path of {@code path} (absolute, as in the container) inside {@code rootfs}; never outside it. */
  static Path resolve(Path rootfs, String path) throws IOException {
    Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
    List<String> resolved = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (!resolved.isEmpty()) {
          resolved.removeLast();
        }
        continue;
      }
      Path candidate = join(rootfs, resolved).resolve(name);
      if (!Files.isSymbolicLink(candidate)) {
        resolved.add(name);
        continue;
      }
      if (++links > MAX_LINKS) {
        throw new IOException("too many levels of symbolic links in " + path + " inside the image");
      }
      String target = Files.readSymbolicLink(candidate).toString();
      if (target.startsWith("/")) {
        resolved.clear();
      }
      List<String> parts = List.of(target.split("/"));
      for (int i = parts.size() - 1; i >= 0; i--) {
        todo.push(parts.get(i));
      }
    }
    return join(rootfs, resolved);
  }

  private static Path join(Path rootfs, List<String> names) {
    Path path = rootfs;
    for (String name : names) {
      path = path.resolve(name);
    }
    return path;
  }
}
