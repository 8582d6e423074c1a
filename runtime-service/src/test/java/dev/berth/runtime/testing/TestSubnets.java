package dev.berth.runtime.testing;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks a /24 for a test's CNI network in 10.N.0.0/16, where N is {@code BERTH_TEST_NET_OCTET}
 * (250 unless set), so that suites run side by side from different checkouts can each be given
 * their own /16; within it, a /24 that no route on this host uses yet.
 */
public final class TestSubnets {

  private TestSubnets() {}

  /** "10.N.X", without the trailing dot. */
  public static String freePrefix() throws IOException, InterruptedException {
    String secondOctet = System.getenv().getOrDefault("BERTH_TEST_NET_OCTET", "250");
    Process ip = new ProcessBuilder("ip", "-4", "route", "show").redirectErrorStream(true).start();
    String routes = new String(ip.getInputStream().readAllBytes());
    ip.waitFor();
    for (int attempt = 0; attempt < 100; attempt++) {
      String prefix = "10." + secondOctet + "." + ThreadLocalRandom.current().nextInt(1, 255);
      if (!routes.contains(prefix + ".")) {
        return prefix;
      }
    }
    throw new IllegalStateException("no free /24 in 10." + secondOctet + ".0.0/16");
  }
}
