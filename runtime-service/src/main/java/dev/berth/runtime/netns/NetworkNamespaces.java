package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network namespaces pinned as bind-mounted files under one directory (e.g.
 * {@code <state>/netns/<sandboxId>}), so that a pod's network outlives every process in it and
 * the daemon itself.
 *
 * <p>Namespaces are made by {@link ThreadNetnsPinner}: unshare(2) and a bind mount on a thread
 * of their own, since Linux namespace calls act on the calling thread.
 */
public final class NetworkNamespaces {

  private static final Logger log = LoggerFactory.getLogger(NetworkNamespaces.class);

  /** A sandbox id becomes a file name: no separators, no dot-dot, nothing hidden. */
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  private static final String OWN_NAMESPACE = "/proc/thread-self/ns/net";

  /** Makes a new network namespace with its {@code lo} up and bind-mounts it on an existing file. */
  interface Pinner {
    void pin(Path file) throws IOException;
  }

  private final Path directory;
  private final Pinner pinner;

  public NetworkNamespaces(Path directory) {
    this(directory, new ThreadNetnsPinner());
  }

  /** For tests: another pinner, to make creation fail. */
  NetworkNamespaces(Path directory, Pinner pinner) {
    this.directory = directory.toAbsolutePath();
    this.pinner = pinner;
  }

  public Path path(String sandboxId) {
    if (sandboxId == null || !SAFE_ID.matcher(sandboxId).matches()) {
      throw new IllegalArgumentException("sandbox id is not usable as a namespace file name: " + sandboxId);
    }
    return directory.resolve(sandboxId);
  }

  /**
   * Creates and pins a new network namespace for the sandbox, its {@code lo} up with 127.0.0.1.
   * On failure nothing is left behind: no mount, no file.
   *
   * @throws java.nio.file.FileAlreadyExistsException when the sandbox already has a file there
   */
  public Path create(String sandboxId) throws IOException {
    return create(sandboxId, pinner);
  }

  /**
   * Pins a network namespace another process made ({@code /proc/PID/ns/net}), such as one owned
   * by a pod's user namespace, and brings its {@code lo} up; otherwise as {@link #create(String)}.
   */
  public Path createFrom(String sandboxId, Path namespace) throws IOException {
    return create(sandboxId, file -> {
      Syscalls.mount(namespace.toString(), file, "none", ThreadNamespaces.MS_BIND, null);
      bringUpLoopback(file);
    });
  }

  /**
   * Pins for the sandbox a network namespace that is already pinned elsewhere with its {@code lo}
   * up (a spare infra's), so that the other pin may go; otherwise as {@link #create(String)}.
   */
  public Path adopt(String sandboxId, Path pinned) throws IOException {
    return create(sandboxId, file -> Syscalls.mount(pinned.toString(), file, "none", ThreadNamespaces.MS_BIND, null));
  }

  /** Enters the pinned namespace on a throw-away thread to bring its {@code lo} up. */
  private static void bringUpLoopback(Path pinned) throws IOException {
    ThreadNamespaces.onThrowAwayThread("netns-lo", "bringing up lo in " + pinned, calls -> {
      int daemonNamespace = calls.open(OWN_NAMESPACE);
      try {
        int podNamespace = calls.open(pinned.toString());
        try {
          calls.enter(podNamespace, ThreadNamespaces.CLONE_NEWNET, "the pod's network namespace " + pinned);
        } finally {
          calls.close(podNamespace);
        }
        try {
          LoopbackLink.bringUp();
        } finally {
          calls.setns(daemonNamespace, ThreadNamespaces.CLONE_NEWNET, "network");
        }
      } finally {
        calls.close(daemonNamespace);
      }
    });
  }

  private Path create(String sandboxId, Pinner pinner) throws IOException {
    Path file = path(sandboxId);
    Files.createDirectories(directory);
    // A bind mount needs an existing file; creating it ourselves also claims the name.
    Files.createFile(file);
    try {
      pinner.pin(file);
      if (!isPinned(file)) {
        throw new IOException("no network namespace is mounted on " + file + " after pinning it");
      }
    } catch (IOException | RuntimeException e) {
      undo(file, e);
      throw e;
    }
    log.debug("pinned network namespace {}", file);
    return file;
  }

  /** Unpins and deletes the sandbox's namespace; a namespace that is already gone is success. */
  public void remove(String sandboxId) throws IOException {
    Path file = path(sandboxId);
    // A file can carry stacked mounts if something mounted over it twice; peel them all.
    for (int i = 0; i < 8 && Syscalls.umount2(file, Syscalls.MNT_DETACH); i++) {
      log.debug("unmounted network namespace {}", file);
    }
    Files.deleteIfExists(file);
  }

  public boolean exists(String sandboxId) {
    return isPinned(path(sandboxId));
  }

  /**
   * Binds and runs once each namespace call a pod's pins make (open, unshare(0), setns back into
   * the same namespace, close; unshare(0) and that setns change nothing; the socket and ioctl
   * that bring a pod's {@code lo} up, reading the daemon's own) on a throw-away thread,
   * so that a fresh daemon's first RunPodSandbox does not pay for linking the FFM downcalls: its
   * netns step took ~70 ms against ~3 ms warm. The daemon runs this in the background once it
   * serves.
   */
  public static void prepareFirstUse() throws IOException {
    ThreadNamespaces.onThrowAwayThread("netns-first-use", "preparing the namespace calls", calls -> {
      int own = calls.open(OWN_NAMESPACE);
      try {
        calls.unshare(0, "no namespace");
        calls.enter(own, ThreadNamespaces.CLONE_NEWNET, "the thread's own network namespace");
        LoopbackLink.flags();
      } finally {
        calls.close(own);
      }
    });
  }

  /**
   * True when {@code file} is a mounted namespace rather than a plain file, for instance one left
   * on disk after a reboot. A bind mount of nsfs lives on the nsfs device, never on the device of
   * the directory that holds it, so comparing the two tells them apart with two stat calls.
   */
  public static boolean isPinned(Path file) {
    if (file == null) {
      return false;
    }
    try {
      Object fileDevice = Files.getAttribute(file, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      Object dirDevice = Files.getAttribute(file.toAbsolutePath().getParent(), "unix:dev");
      return !fileDevice.equals(dirDevice);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      log.debug("cannot stat {}: {}", file, e.toString());
      return false;
    }
  }

  private static void undo(Path file, Exception cause) {
    try {
      Syscalls.umount2(file, Syscalls.MNT_DETACH);
      Files.deleteIfExists(file);
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }
}
