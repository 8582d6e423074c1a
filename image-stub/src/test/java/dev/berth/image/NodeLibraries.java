package dev.berth.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What native libraries this node has, for tests that assert what a node with or without them shows. */
public final class NodeLibraries {

  private NodeLibraries() {
  }

  /** Whether OpenSSL's libcrypto 3 is where Debian, Ubuntu or Fedora-like nodes keep it. */
  public static boolean hasLibcrypto3() {
    return Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64")
        .anyMatch(dir -> Files.exists(Path.of(dir, "libcrypto.so.3")));
  }
}
