package dev.berth.runtime.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A test class whose tests share one {@link PodTestEnv}: a daemon, network and image of its own,
 * started before the first test and checked for leftovers after the last.
 */
public abstract class PodTestCase {

  protected static PodTestEnv env;

  @BeforeAll
  static void startPodTestEnv() throws Exception {
    env = PodTestEnv.start();
  }

  @AfterAll
  static void closePodTestEnv() throws Exception {
    env.close();
  }
}
