package dev.berth.runtime.server;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** The unix socket's file: its private parent directory, stale files, and its mode. */
public final class SocketFile {

  static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
  static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");

  private SocketFile() {}

  /**
   * Makes the parent directory (0700 when Berth creates it) and removes a socket file left by a
   * daemon that died. A socket that still accepts connections belongs to a live server, possibly
   * one with another root, and is never removed.
   */
  public static void prepare(Path socket) throws IOException {
    Path parent = socket.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
    }
    if (Files.exists(socket)) {
      if (isServed(socket)) {
        throw new IOException("socket " + socket + " is already served by another process");
      }
      Files.delete(socket);
    }
  }

  /** Called once the server listens: the socket's mode must not depend on the daemon's umask. */
  public static void restrict(Path socket) throws IOException {
    Files.setPosixFilePermissions(socket, SOCKET_MODE);
  }

  private static boolean isServed(Path socket) {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException notListening) {
      return false;
    }
  }
}
