package dev.berth.runtime.security;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Asks the kernel, as user nobody, which host paths another user of the node could reach. */
final class OtherUsers {

  private OtherUsers() {}

  /** Those of {@code paths} that nobody (uid 65534, no groups) can stat: every parent searchable. */
  static List<String> visibleToNobody(Collection<Path> paths) throws IOException, InterruptedException {
    Process probe = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
        "/bin/busybox", "sh", "-c", "while IFS= read -r p; do [ -e \"$p\" ] || [ -L \"$p\" ] && echo \"$p\"; done; echo done")
        .redirectErrorStream(true).start();
    try (OutputStream in = probe.getOutputStream()) {
      for (Path path : paths) {
        in.write((path + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    List<String> lines = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0 || !lines.getLast().equals("done")) {
      throw new IllegalStateException("probe as nobody failed: " + lines);
    }
    return lines.subList(0, lines.size() - 1);
  }
}
