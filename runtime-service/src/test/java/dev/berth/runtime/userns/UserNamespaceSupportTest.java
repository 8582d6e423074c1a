package dev.berth.runtime.userns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The part of the node probe that needs no root: can a pod's root search its way to the staging directory. */
class UserNamespaceSupportTest {

  @TempDir
  Path dir;

  @Test
  void aPathSearchableByOthersAllTheWayIsFine() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path staging = Files.createDirectories(dir.resolve("state-idmap"));
    Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx--x--x"));
    // The temp dir's own parents (/tmp and /) let everyone search them.
    assertEquals(Optional.empty(), UserNamespaceSupport.closedAncestor(staging));
  }

  @Test
  void aPrivateDirectoryOnTheWayIsNamed() throws Exception {
    Path closed = Files.createDirectories(dir.resolve("private"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    Path staging = Files.createDirectories(closed.resolve("state-idmap"));

    String problem = UserNamespaceSupport.closedAncestor(staging).orElseThrow();
    assertTrue(problem.startsWith("directory " + closed + " does not let other users search it"), problem);
  }
}
