package dev.berth.runtime.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelVersionTest {

  @Test
  void debianAndCustomReleasesParse() {
    assertEquals(new KernelVersion(6, 1), KernelVersion.parse("6.1.0-18-amd64\n"));
    assertEquals(new KernelVersion(6, 18), KernelVersion.parse("6.18.44-fc-v1300"));
    assertEquals(new KernelVersion(5, 4), KernelVersion.parse("5.4"));
  }

  @Test
  void mountSetattrCameWithFiveTwelve() {
    assertFalse(new KernelVersion(5, 11).hasMountSetattr());
    assertFalse(new KernelVersion(4, 19).hasMountSetattr());
    assertTrue(new KernelVersion(5, 12).hasMountSetattr());
    assertTrue(new KernelVersion(6, 0).hasMountSetattr());
  }

  @Test
  void somethingElseIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelVersion.parse("linux"));
    assertTrue(e.getMessage().contains("\"linux\""), e.getMessage());
  }
}
