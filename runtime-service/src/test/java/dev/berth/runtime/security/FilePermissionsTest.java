package dev.berth.runtime.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.runtime.server.SocketFile;
import dev.berth.runtime.testing.DaemonProcess;
import dev.berth.runtime.testing.PodTestCase;
import dev.berth.runtime.testing.ShortTempDirs;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who besides root can reach the daemon's socket and its files on the host. Checked with a pod
 * running (a non-root container and an exec in it), so that records, bundles, attach sockets,
 * exit files and the CNI cache all exist while we look.
 */
@org.junit.jupiter.api.Tag("integration")
@Timeout(300)
class FilePermissionsTest extends PodTestCase {

  private static final String PRIVATE = "rwx------";
  private static final String POD_NAME = "permissions";
  private static String pod;
  private static String container;

  @BeforeAll
  static void runANonRootContainer() {
    pod = env.runPod(env.podConfig(POD_NAME).build());
    container = env.runContainer(pod, env.containerConfig("nonroot", "sleep", "3600")
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
            .setRunAsUser(Int64Value.newBuilder().setValue(1000)))).build());
  }

  private static Path root() {
    return env.daemon().root();
  }

  private static Path state() {
    return env.daemon().dir().resolve("state");
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void theSocketIsForRootAndItsGroupOnly() throws Exception {
    assertEquals("rw-rw----", mode(env.daemon().socket()));
    assertEquals("root", Files.getOwner(env.daemon().socket()).getName());
  }

  @Test
  void aSocketDirectoryBerthCreatesIsPrivate() throws Exception {
    Path dir = ShortTempDirs.create();
    try {
      SocketFile.prepare(dir.resolve("run/berth/berth.sock"));
      assertEquals(PRIVATE, mode(dir.resolve("run/berth")));
      assertEquals(PRIVATE, mode(dir.resolve("run")));
    } finally {
      Files.delete(dir.resolve("run/berth"));
      Files.delete(dir.resolve("run"));
      Files.delete(dir);
    }
  }

  /**
   * Directories a container sees as its own keep the modes it expects, with all below them: the
   * pause rootfs, a rootfs mount point, an overlay upper dir (the top of a container's "/"), a
   * pod's /dev/shm.
   */
  private static final Set<String> CONTAINER_OWNED = Set.of("infra-rootfs", "rootfs", "upper", "shm");

  @Test
  void rootStateAndEveryDirectoryOfTheDaemonBelowThemArePrivate() throws Exception {
    List<String> open = new ArrayList<>();
    int checked = 0;
    for (Path top : List.of(root(), state())) {
      try (Stream<Path> walk = Files.walk(top, 4)) {
        for (Path dir : walk.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
          if (containerOwnedOrForeign(top, dir)) {
            continue;
          }
          checked++;
          if (!mode(dir).equals(PRIVATE)) {
            open.add(top.relativize(dir) + " " + mode(dir));
          }
        }
      }
    }
    assertEquals(List.of(), open, "directories others may enter");
    // Records, bundles, shim dirs, pod dirs, image store dirs of one pod with two containers at least.
    assertTrue(checked > 20, "directories checked: " + checked);
    assertTrue(Files.isDirectory(root().resolve("containers").resolve(container).resolve("bundle")));
  }

  /**
   * Inside a container-owned directory, or what belongs to another program: an unpacked layer
   * (the image's modes), a layer being unpacked, runc's own state directory (runc makes it 0711).
   */
  private static boolean containerOwnedOrForeign(Path top, Path dir) {
    Path relative = top.relativize(dir);
    for (int i = 0; i < relative.getNameCount(); i++) {
      String name = relative.getName(i).toString();
      if (CONTAINER_OWNED.contains(name)) {
        return true;
      }
      boolean hasChild = i + 1 < relative.getNameCount();
      if (hasChild && (name.equals("layers") || name.equals("tmp") || name.equals("runc"))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void nothingTheDaemonKeepsIsReachableByAnotherUser() throws Exception {
    env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container).addCmd("true").setTimeout(30).build());
    List<Path> paths = new ArrayList<>();
    for (Path top : List.of(root(), state())) {
      try (Stream<Path> walk = Files.walk(top, 6)) {
        walk.sorted(Comparator.naturalOrder()).forEach(paths::add);
      }
    }
    // The probe would report nothing if it could see nothing at all: the pod's logs are public.
    Path logDirectory = env.logDirectory(POD_NAME);
    assertTrue(Files.isDirectory(logDirectory), logDirectory.toString());
    assertTrue(paths.stream().anyMatch(p -> p.toString().contains(container) && p.endsWith("attach")),
        "the attach socket is among the paths probed");
    assertTrue(paths.size() > 50, "records, bundles, sockets, blobs: " + paths.size());
    paths.add(logDirectory);
    // The two directories themselves are seen from their parent; nothing inside them is.
    assertEquals(List.of(root().toString(), state().toString(), logDirectory.toString()),
        OtherUsers.visibleToNobody(paths));
  }

  @Test
  void aNonRootContainerStartsAndReachesItsRootfsAndPodFiles() {
    ExecSyncResponse response = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of("sh", "-c", "id -u; cat /etc/hostname; grep -q localhost /etc/hosts && echo hosts;"
            + " ls /bin/busybox; touch /tmp/mine && echo wrote-tmp; touch /dev/shm/x && echo wrote-shm"))
        .setTimeout(30).build());
    assertEquals(0, response.getExitCode(), response.getStderr().toStringUtf8());
    assertEquals(List.of("1000", POD_NAME, "hosts", "/bin/busybox", "wrote-tmp", "wrote-shm"),
        response.getStdout().toStringUtf8().lines().toList());
  }

  @Test
  void directoriesMadeWideBeforehandAreTightenedAtStart() throws Exception {
    Path dir = ShortTempDirs.create();
    Path root = Files.createDirectories(dir.resolve("d/root/containers"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"))).getParent();
    Path state = Files.createDirectories(dir.resolve("d/state"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    // As an older Berth left them: the image store's directories made with the umask's 0755.
    Path blobs = Files.createDirectories(root.resolve("images/blobs/sha256"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Path shims = Files.createDirectories(state.resolve("shims"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("d"))) {
      assertEquals(PRIVATE, mode(root));
      assertEquals(PRIVATE, mode(root.resolve("containers")));
      assertEquals(PRIVATE, mode(state));
      assertEquals(PRIVATE, mode(root.resolve("images")));
      assertEquals(PRIVATE, mode(root.resolve("images/blobs")));
      assertEquals(PRIVATE, mode(blobs));
      assertEquals(PRIVATE, mode(shims));
      daemon.terminate();
      assertEquals(0, daemon.awaitExit(Duration.ofSeconds(60)), daemon.output());
    } finally {
      deleteTree(dir);
    }
  }

  @Test
  void aRootEveryUserMayWriteIsRefused() throws Exception {
    Path dir = ShortTempDirs.create();
    Path root = Files.createDirectories(dir.resolve("d/root"));
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (DaemonProcess daemon = DaemonProcess.launch(dir.resolve("d"))) {
      assertTrue(daemon.awaitExit(Duration.ofSeconds(60)) != 0, daemon.output());
      assertTrue(daemon.output().contains("is writable by every user"), daemon.output());
      assertEquals("rwxrwxrwx", mode(root), "a shared directory is left as it was");
      assertFalse(Files.exists(root.resolve("containers")), "nothing was written into it");
    } finally {
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
