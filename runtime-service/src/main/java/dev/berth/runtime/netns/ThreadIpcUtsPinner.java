package dev.berth.runtime.netns;

import dev.berth.linux.Syscalls;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Makes a pod's new IPC and/or UTS namespace and pins each on a file, as {@link ThreadNetnsPinner}
 * does the network one: unshare(2) on a throw-away thread (see {@link ThreadNamespaces}),
 * sethostname(2) there for the pod's hostname, a bind mount of {@code /proc/thread-self/ns/ipc}
 * and {@code uts}, then setns(2) back to the daemon's namespaces before the thread ends.
 */
final class ThreadIpcUtsPinner implements PodNamespacePins.Pinner {

  @Override
  public void pin(Path ipcFile, Path utsFile, String hostname) throws IOException {
    ThreadNamespaces.onThrowAwayThread("ipc-uts-pin", "pinning IPC/UTS namespaces", calls -> {
      int daemonIpc = calls.open("/proc/thread-self/ns/ipc");
      try {
        int daemonUts = calls.open("/proc/thread-self/ns/uts");
        try {
          int flags = (ipcFile != null ? ThreadNamespaces.CLONE_NEWIPC : 0)
              | (utsFile != null ? ThreadNamespaces.CLONE_NEWUTS : 0);
          calls.unshare(flags, "IPC/UTS");
          try {
            if (utsFile != null && !hostname.isEmpty()) {
              calls.sethostname(hostname);
            }
            if (ipcFile != null) {
              Syscalls.mount("/proc/thread-self/ns/ipc", ipcFile, "none", ThreadNamespaces.MS_BIND, null);
            }
            if (utsFile != null) {
              Syscalls.mount("/proc/thread-self/ns/uts", utsFile, "none", ThreadNamespaces.MS_BIND, null);
            }
          } finally {
            calls.setns(daemonIpc, ThreadNamespaces.CLONE_NEWIPC, "IPC");
            calls.setns(daemonUts, ThreadNamespaces.CLONE_NEWUTS, "UTS");
          }
        } finally {
          calls.close(daemonUts);
        }
      } finally {
        calls.close(daemonIpc);
      }
    });
  }
}
