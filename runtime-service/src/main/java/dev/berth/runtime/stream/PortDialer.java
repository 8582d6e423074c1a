package dev.berth.runtime.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Opens a TCP connection to a port on a pod's loopback, inside the pod's network namespace.
 * Namespaces are per thread and JVM threads are shared, so the connection is made by a helper
 * process that enters the namespace ({@code nsenter --net}) and relays its stdin and stdout to
 * the port (busybox {@code nc}, which half-closes the connection at the end of its stdin). A
 * process per forwarded connection costs a few milliseconds at connect and nothing per byte
 * beyond the pipe copies.
 */
public final class PortDialer {
  private final Path nsenter;
  private final Path busybox;

  public PortDialer(Path nsenter, Path busybox) {
    this.nsenter = nsenter;
    this.busybox = busybox;
  }

  /** A connected relay: write to {@link #toPort}, read from {@link #fromPort}; its stderr says why it failed. */
  public record Relay(Process process) {
    public OutputStream toPort() {
      return process.getOutputStream();
    }

    public InputStream fromPort() {
      return process.getInputStream();
    }
  }

  public Relay dial(Optional<Path> netns, int port) throws IOException {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("invalid port " + port);
    }
    List<String> argv = new ArrayList<>();
    if (netns.isPresent()) {
      argv.add(nsenter.toString());
      argv.add("--net=" + netns.get());
    }
    argv.add(busybox.toString());
    argv.add("nc");
    argv.add("127.0.0.1");
    argv.add(Integer.toString(port));
    return new Relay(new ProcessBuilder(argv).start());
  }
}
