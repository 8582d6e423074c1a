package dev.berth.runtime.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Loopback connections made by the daemon itself, in its own network namespace (a host-network
 * pod's case; a pod's own namespace needs root and is exercised through the daemon by the
 * port forward tests). No root needed.
 */
class PodLoopbackTest {

  @Test
  void connectsToALoopbackPortAndHandsOverANonBlockingDescriptor() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int fd = PodLoopback.connect(Optional.empty(), server.getLocalPort(), Duration.ofSeconds(5));
      try (Socket accepted = server.accept()) {
        assertTrue(fd > 2, "fd " + fd);
        String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        assertTrue(target.startsWith("socket:"), target);
        String flags = Files.readString(Path.of("/proc/self/fdinfo/" + fd)).lines()
            .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
        long octal = Long.parseLong(flags.substring("flags:".length()).trim(), 8);
        assertEquals(04000, octal & 04000, "O_NONBLOCK in " + flags);
        assertEquals(02000000, octal & 02000000, "O_CLOEXEC in " + flags);
        assertEquals(server.getLocalPort(), accepted.getLocalPort());
      } finally {
        PodLoopback.close(fd);
      }
    }
  }

  @Test
  void aClosedPortIsRefusedByName() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort();
    }
    IOException e = assertThrows(IOException.class,
        () -> PodLoopback.connect(Optional.empty(), closedPort, Duration.ofSeconds(5)));
    assertEquals("connection refused", e.getMessage());
  }
}
