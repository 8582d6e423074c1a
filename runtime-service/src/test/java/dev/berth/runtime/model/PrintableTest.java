package dev.berth.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrintableTest {

  @Test
  void controlCharactersAreEscapedSoNoValueStartsALine() {
    String quoted = Printable.quote("web\n2026-12-06 ERROR forged\r\u0000\u001b[31m\u2028x");
    assertEquals("\"web\\n2026-12-06 ERROR forged\\r\\u0000\\u001b[31m\\u2028x\"", quoted);
    assertFalse(quoted.chars().anyMatch(c -> c < 0x20 || c == 0x2028));
  }

  @Test
  void aLongValueIsCutShort() {
    String quoted = Printable.quote("z".repeat(70_000));
    assertEquals("\"" + "z".repeat(80) + "...\"", quoted);
  }

  @Test
  void quotesAndBackslashesInsideAreEscaped() {
    assertEquals("\"a\\\"b\\\\c\"", Printable.quote("a\"b\\c"));
  }

  @Test
  void escapeControlsKeepsTheWholeMessageAndOnlyEscapesControls() {
    assertEquals("line one\\u000aline two", Printable.escapeControls("line one\nline two"));
    String plain = "pod sandbox \"x\" not found";
    assertTrue(plain == Printable.escapeControls(plain), "a clean message is returned as it is");
  }

  @Test
  void firstControlFindsTheIndexOrMinusOne() {
    assertEquals(-1, Printable.firstControl("plain-name_1.2"));
    assertEquals(3, Printable.firstControl("abc\u007fdef"));
    assertEquals(0, Printable.firstControl("\u0085"));
  }
}
