package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Makes a network namespace and pins it on a file with three system calls instead of running
 * util-linux {@code unshare --net=FILE} (a process start that cost ~5 ms of every RunPodSandbox),
 * on a throw-away thread (see {@link ThreadNamespaces}), and brings its {@code lo} up while the
 * thread is inside it (see {@link LoopbackLink}).
 */
final class ThreadNetnsPinner implements NetworkNamespaces.Pinner {

  private static final String OWN_NAMESPACE = "/proc/thread-self/ns/net";

  @Override
  public void pin(Path file) throws IOException {
    ThreadNamespaces.onThrowAwayThread("netns-pin", "pinning network namespace " + file, calls -> {
      int daemonNamespace = calls.open(OWN_NAMESPACE);
      try {
        calls.unshare(ThreadNamespaces.CLONE_NEWNET, "CLONE_NEWNET");
        try {
          LoopbackLink.bringUp();
          Syscalls.mount(OWN_NAMESPACE, file, "none", ThreadNamespaces.MS_BIND, null);
        } finally {
          calls.setns(daemonNamespace, ThreadNamespaces.CLONE_NEWNET, "network");
        }
      } finally {
        calls.close(daemonNamespace);
      }
    });
  }
}
