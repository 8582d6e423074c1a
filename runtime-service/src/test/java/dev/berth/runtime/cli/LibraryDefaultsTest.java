package dev.berth.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LibraryDefaultsTest {

  private String before;

  @BeforeEach
  void remember() {
    before = System.getProperty(LibraryDefaults.NETTY_JFR_EVENTS);
  }

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty(LibraryDefaults.NETTY_JFR_EVENTS);
    } else {
      System.setProperty(LibraryDefaults.NETTY_JFR_EVENTS, before);
    }
  }

  @Test
  void nettyRegistersNoFlightRecorderEventsByDefault() {
    System.clearProperty(LibraryDefaults.NETTY_JFR_EVENTS);
    LibraryDefaults.apply();
    assertEquals("false", System.getProperty("io.netty.jfr.enabled"));
  }

  @Test
  void aValueGivenToTheJvmWins() {
    System.setProperty(LibraryDefaults.NETTY_JFR_EVENTS, "true");
    LibraryDefaults.apply();
    assertEquals("true", System.getProperty("io.netty.jfr.enabled"));
  }
}
