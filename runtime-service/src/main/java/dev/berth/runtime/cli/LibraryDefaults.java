package dev.berth.runtime.cli;

/** System properties of the libraries Berth ships with, set before any of them is loaded. */
final class LibraryDefaults {

  /**
   * Netty's buffer allocators describe their allocations as JFR events whenever the JDK has JFR.
   * Asking whether such an event is enabled registers it with the JDK's flight recorder: over a
   * hundred jdk.jfr classes, about 0.13 s on the first call without the AOT cache and part of
   * every daemon's cache with it, for a recording nobody runs on a node. Given to the JVM
   * ({@code -Dio.netty.jfr.enabled=true}), it still wins.
   */
  static final String NETTY_JFR_EVENTS = "io.netty.jfr.enabled";

  private LibraryDefaults() {
  }

  static void apply() {
    if (System.getProperty(NETTY_JFR_EVENTS) == null) {
      System.setProperty(NETTY_JFR_EVENTS, "false");
    }
  }
}
