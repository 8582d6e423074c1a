package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod's IPC and UTS namespaces pinned as bind-mounted files ({@code <dir>/<sandboxId>/ipc} and
 * {@code uts}), for pods that run without an infra process: the files hold the namespaces open
 * and the pod's containers join them by path, as they join the pinned network namespace. A pod
 * with its own user namespace has it pinned here too ({@code user}), with or without an infra.
 */
public final class PodNamespacePins {

  private static final Logger log = LoggerFactory.getLogger(PodNamespacePins.class);
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

  /** Makes new IPC and/or UTS namespaces (a null file: not that one) and bind-mounts them. */
  interface Pinner {
    void pin(Path ipcFile, Path utsFile, String hostname) throws IOException;
  }

  private final Path directory;
  private final Pinner pinner;

  public PodNamespacePins(Path directory) {
    this.directory = directory.toAbsolutePath();
    this.pinner = new ThreadIpcUtsPinner();
  }

  public Path ipc(String sandboxId) {
    return dir(sandboxId).resolve("ipc");
  }

  public Path uts(String sandboxId) {
    return dir(sandboxId).resolve("uts");
  }

  public Path user(String sandboxId) {
    return dir(sandboxId).resolve("user");
  }

  /**
   * Pins namespaces another process made (its {@code /proc/PID/ns/TYPE} files), by type ("user",
   * "ipc", "uts"); the caller removes the pins on failure, as after {@link #create}.
   */
  public void pinExisting(String sandboxId, java.util.Map<String, Path> sources) throws IOException {
    Files.createDirectories(dir(sandboxId));
    for (var entry : sources.entrySet()) {
      Path file = dir(sandboxId).resolve(entry.getKey());
      if (!List.of("user", "ipc", "uts").contains(entry.getKey())) {
        throw new IllegalArgumentException("no pod namespace pin of type " + entry.getKey());
      }
      Files.createFile(file);
      Syscalls.mount(entry.getValue().toString(), file, "none", ThreadNamespaces.MS_BIND, null);
      if (!NetworkNamespaces.isPinned(file)) {
        throw new IOException("no namespace is mounted on " + file + " after pinning it");
      }
    }
  }

  /** Sets the hostname of the pod's pinned UTS namespace (one made by another process). */
  public void setHostname(String sandboxId, String hostname) throws IOException {
    UtsHostname.set(uts(sandboxId), hostname);
  }

  private Path dir(String sandboxId) {
    if (sandboxId == null || !SAFE_ID.matcher(sandboxId).matches()) {
      throw new IllegalArgumentException("sandbox id is not usable as a directory name: " + sandboxId);
    }
    return directory.resolve(sandboxId);
  }

  /**
   * Pins a new IPC namespace (when {@code ipc}) and a new UTS namespace with {@code hostname}
   * (when {@code uts}; an empty hostname keeps the node's). On failure nothing is left behind.
   */
  public void create(String sandboxId, boolean ipc, boolean uts, String hostname) throws IOException {
    if (!ipc && !uts) {
      return;
    }
    Path dir = Files.createDirectories(dir(sandboxId));
    Path ipcFile = ipc ? Files.createFile(ipc(sandboxId)) : null;
    Path utsFile = uts ? Files.createFile(uts(sandboxId)) : null;
    try {
      pinner.pin(ipcFile, utsFile, hostname);
      for (Path file : new Path[] {ipcFile, utsFile}) {
        if (file != null && !NetworkNamespaces.isPinned(file)) {
          throw new IOException("no namespace is mounted on " + file + " after pinning it");
        }
      }
    } catch (IOException | RuntimeException e) {
      try {
        remove(sandboxId);
      } catch (IOException | RuntimeException undo) {
        e.addSuppressed(undo);
      }
      throw e;
    }
    log.debug("pinned IPC/UTS namespaces of {} in {}", sandboxId, dir);
  }

  /** True when each asked-for namespace is still pinned (a reboot leaves plain files, or none). */
  public boolean pinned(String sandboxId, boolean ipc, boolean uts) {
    return (!ipc || NetworkNamespaces.isPinned(ipc(sandboxId))) && (!uts || NetworkNamespaces.isPinned(uts(sandboxId)));
  }

  /** True when the pod's user namespace is still pinned. */
  public boolean userPinned(String sandboxId) {
    return NetworkNamespaces.isPinned(user(sandboxId));
  }

  /** Unpins and deletes every pin and their directory; what is already gone is success. */
  public void remove(String sandboxId) throws IOException {
    for (Path file : new Path[] {ipc(sandboxId), uts(sandboxId), user(sandboxId)}) {
      for (int i = 0; i < 8 && Files.exists(file) && Syscalls.umount2(file, Syscalls.MNT_DETACH); i++) {
        log.debug("unmounted {}", file);
      }
      Files.deleteIfExists(file);
    }
    Files.deleteIfExists(dir(sandboxId));
  }
}
