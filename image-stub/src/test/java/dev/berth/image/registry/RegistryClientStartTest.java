package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.image.manifest.Platform;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a registry client costs a daemon that has not pulled yet. */
class RegistryClientStartTest {

  @Test
  void aClientThatHasNotPulledHoldsNoHttpClientThread() {
    long before = selectorThreads();

    new RegistryClient(new EndpointResolver(Map.of("docker.io", List.of("http://127.0.0.1:1")), Set.of()),
        Platform.host());

    // The JDK's HttpClient starts its selector thread when it is built (and loads the trust store).
    assertEquals(before, selectorThreads());
  }

  private static long selectorThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().contains("SelectorManager"))
        .count();
  }
}
