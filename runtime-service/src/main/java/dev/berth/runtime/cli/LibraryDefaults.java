package dev.berth.runtime.cli;

import java.util.Map;

/**
 * System properties of the libraries Berth runs on (those it ships with and the JDK's own), set
 * before any of them is loaded. A value given to the JVM ({@code -Dname=value}) wins.
 */
final class LibraryDefaults {

  /**
   * Netty's buffer allocators describe their allocations as JFR events whenever the JDK has JFR.
   * Asking whether such an event is enabled registers it with the JDK's flight recorder: over a
   * hundred jdk.jfr classes, about 0.13 s on the first call without the AOT cache and part of
   * every daemon's cache with it, for a recording nobody runs on a node.
   */
  static final String NETTY_JFR_EVENTS = "io.netty.jfr.enabled";

  /**
   * The size of the JDK HTTP client's read buffers (16 KiB by default), which the registry client
   * pulls layers with. Every buffer read is handed from the client's selector thread to the thread
   * reading the body (a wake-up, a re-armed read event), so a 50 MB layer costs ~3,200 hand-overs
   * at the default: a probe downloading 50 MB from a loopback server used 150-160 ms of CPU with
   * 16 KiB, 60-80 with 64 KiB. Larger buffers read no faster in the daemon, whose young
   * generation is small (`bin/bench-compare --only-berth -- --workloads image-pull --pulls 15`,
   * PullImage p50: 231-232 ms at 16 KiB, 224 at 32, 198-204 at 64, 234 at 128, 258-266 at 256).
   * Over TLS it changes little (the probe: 1.30 -> 1.26 s of CPU at 256 KiB): there the cost is
   * the decryption.
   */
  static final String HTTP_CLIENT_BUFFER_SIZE = "jdk.httpclient.bufsize";

  private static final Map<String, String> DEFAULTS = Map.of(
      NETTY_JFR_EVENTS, "false",
      HTTP_CLIENT_BUFFER_SIZE, Integer.toString(64 * 1024));

  private LibraryDefaults() {
  }

  static void apply() {
    DEFAULTS.forEach((name, value) -> {
      if (System.getProperty(name) == null) {
        System.setProperty(name, value);
      }
    });
  }
}
