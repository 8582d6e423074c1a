package dev.berth.runtime.netns;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Sets the hostname inside a UTS namespace Berth did not make itself: a pinned one, or a running
 * process's ({@code /proc/PID/ns/uts}). The namespace is entered on a throw-away thread, which
 * goes back to the daemon's own before it ends.
 */
public final class UtsHostname {

  private UtsHostname() {}

  public static void set(Path utsNamespace, String hostname) throws IOException {
    ThreadNamespaces.onThrowAwayThread("uts-hostname", "setting the hostname of " + utsNamespace, calls -> {
      int daemonUts = calls.open("/proc/thread-self/ns/uts");
      try {
        int podUts = calls.open(utsNamespace.toString());
        try {
          calls.enter(podUts, ThreadNamespaces.CLONE_NEWUTS, "UTS namespace " + utsNamespace);
          try {
            calls.sethostname(hostname);
          } finally {
            calls.setns(daemonUts, ThreadNamespaces.CLONE_NEWUTS, "UTS");
          }
        } finally {
          calls.close(podUts);
        }
      } finally {
        calls.close(daemonUts);
      }
    });
  }
}
