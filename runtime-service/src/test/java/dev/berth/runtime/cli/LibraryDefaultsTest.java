package dev.berth.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LibraryDefaultsTest {

  private static final List<String> NAMES =
      List.of(LibraryDefaults.NETTY_JFR_EVENTS, LibraryDefaults.HTTP_CLIENT_BUFFER_SIZE);

  private final Map<String, String> before = new HashMap<>();

  @BeforeEach
  void remember() {
    NAMES.forEach(name -> before.put(name, System.getProperty(name)));
  }

  @AfterEach
  void restore() {
    before.forEach((name, value) -> {
      if (value == null) {
        System.clearProperty(name);
      } else {
        System.setProperty(name, value);
      }
    });
  }

  @Test
  void nettyRegistersNoFlightRecorderEventsByDefault() {
    System.clearProperty(LibraryDefaults.NETTY_JFR_EVENTS);
    LibraryDefaults.apply();
    assertEquals("false", System.getProperty("io.netty.jfr.enabled"));
  }

  @Test
  void theHttpClientReadsLayersIn64KibBuffersByDefault() {
    System.clearProperty(LibraryDefaults.HTTP_CLIENT_BUFFER_SIZE);
    LibraryDefaults.apply();
    assertEquals("65536", System.getProperty("jdk.httpclient.bufsize"));
  }

  @Test
  void valuesGivenToTheJvmWin() {
    System.setProperty(LibraryDefaults.NETTY_JFR_EVENTS, "true");
    System.setProperty(LibraryDefaults.HTTP_CLIENT_BUFFER_SIZE, "16384");
    LibraryDefaults.apply();
    assertEquals("true", System.getProperty("io.netty.jfr.enabled"));
    assertEquals("16384", System.getProperty("jdk.httpclient.bufsize"));
  }
}
