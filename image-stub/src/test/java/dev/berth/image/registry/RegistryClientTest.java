package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import dev.berth.image.manifest.Platform;
import dev.berth.image.reference.ImageReference;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A registry client costs a node nothing until its first pull: no HTTP client, no selector thread. */
class RegistryClientTest {

  /** The JDK's HTTP client runs one selector thread per client, named after it. */
  private static Set<Long> httpClientThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("HttpClient-") && thread.getName().endsWith("-SelectorManager"))
        .map(Thread::threadId)
        .collect(Collectors.toSet());
  }

  @Test
  void theHttpClientIsBuiltByTheFirstPullNotByTheConstructor() throws Exception {
    HttpServer registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry.createContext("/v2/", exchange -> {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    registry.start();
    try {
      String host = "127.0.0.1:" + registry.getAddress().getPort();
      Set<Long> before = httpClientThreads();
      RegistryClient client = new RegistryClient(new EndpointResolver(Map.of(), Set.of(host)),
          new Platform("linux", "amd64", null));

      assertEquals(before, httpClientThreads(), "no HTTP client before the first pull");

      assertThrows(IOException.class,
          () -> client.resolve(ImageReference.parse(host + "/team/app:v1"), RegistryCredentials.NONE));
      Set<Long> after = httpClientThreads();
      after.removeAll(before);
      assertFalse(after.isEmpty(), "the first pull built the HTTP client");
    } finally {
      registry.stop(0);
    }
  }
}
