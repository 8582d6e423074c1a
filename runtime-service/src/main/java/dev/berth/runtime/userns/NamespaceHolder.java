package dev.berth.runtime.userns;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A short-lived child process in a new user namespace with the given mapping, and new network,
 * IPC and UTS namespaces owned by it, so that the pod's root may set their sysctls and mount
 * sysfs and mqueue there. The daemon pins what it needs from {@link #namespace} (bind mounts keep
 * a namespace alive without a process) and then closes the holder.
 *
 * <p>A JVM cannot unshare(CLONE_NEWUSER) itself (the kernel refuses it to a process with more
 * than one thread), hence the child: util-linux {@code unshare}, which execs a shell that reports
 * when the namespaces exist and then waits on its stdin. The daemon writes the uid and gid maps
 * from outside (root of the parent namespace may write any mapping).
 */
public final class NamespaceHolder implements AutoCloseable {

  static final Path UNSHARE = Path.of("/usr/bin/unshare");
  private static final long EXIT_WAIT_SECONDS = 5;

  private final Process process;

  private NamespaceHolder(Process process) {
    this.process = process;
  }

  /** Starts the child and maps its user namespace; on failure the child is gone again. */
  public static NamespaceHolder start(UserNamespaceMapping mapping) throws IOException {
    Process process = new ProcessBuilder(UNSHARE.toString(), "--user", "--net", "--ipc", "--uts", "--",
        "/bin/sh", "-c", "echo ready; exec cat >/dev/null")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    NamespaceHolder holder = new NamespaceHolder(process);
    try {
      holder.awaitReady();
      Path proc = Path.of("/proc", Long.toString(process.pid()));
      Files.writeString(proc.resolve("uid_map"), mapping.uids().mapLine());
      Files.writeString(proc.resolve("gid_map"), mapping.gids().mapLine());
      return holder;
    } catch (IOException | RuntimeException e) {
      holder.close();
      throw e;
    }
  }

  private void awaitReady() throws IOException {
    InputStream out = process.getInputStream();
    byte[] line = out.readNBytes("ready\n".length());
    if (!new String(line, java.nio.charset.StandardCharsets.US_ASCII).equals("ready\n")) {
      throw new IOException(UNSHARE + " --user --net --ipc --uts did not start (exit "
          + (process.isAlive() ? "none yet" : process.exitValue()) + ")");
    }
  }

  /** The child's namespace of {@code type} ("user", "net", "ipc", "uts"), to pin or open. */
  public Path namespace(String type) {
    return Path.of("/proc", Long.toString(process.pid()), "ns", type);
  }

  /** Ends the child (its stdin closed, then SIGKILL if need be) and reaps it. */
  @Override
  public void close() throws IOException {
    try {
      process.getOutputStream().close();
      process.getInputStream().close();
    } catch (IOException e) {
      // Already gone: nothing to tell it.
    }
    try {
      if (!process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while ending the user namespace holder " + process.pid());
    }
  }
}
