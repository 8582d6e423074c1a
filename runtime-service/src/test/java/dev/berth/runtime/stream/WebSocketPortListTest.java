package dev.berth.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The ports a WebSocket port forward names in its URL: bounded, each once. */
class WebSocketPortListTest {

  @Test
  void portsComeFromEveryParameterAndCommaList() {
    assertEquals(List.of(80, 8080, 9090), WebSocketUpgrade.ports("/portforward/t?port=80,8080&port=9090"));
  }

  @Test
  void aPortRepeatedAHundredAndTwentyTimesIsRefusedNamingTheLimit() {
    String uri = "/portforward/t?" + String.join("&", Collections.nCopies(120, "port=80"));
    StreamProtocolException e = assertThrows(StreamProtocolException.class, () -> WebSocketUpgrade.ports(uri));
    assertTrue(e.getMessage().contains("at most " + WebSocketUpgrade.MAX_PORTS + " ports")
        && e.getMessage().contains("120"), e.getMessage());
  }

  @Test
  void theLimitItselfIsAccepted() {
    String list = String.join(",", IntStream.rangeClosed(1, WebSocketUpgrade.MAX_PORTS).mapToObj(Integer::toString)
        .toList());
    assertEquals(WebSocketUpgrade.MAX_PORTS, WebSocketUpgrade.ports("/portforward/t?port=" + list).size());
  }

  @Test
  void aRepeatedPortIsRefusedNamingIt() {
    StreamProtocolException e = assertThrows(StreamProtocolException.class,
        () -> WebSocketUpgrade.ports("/portforward/t?port=80&port=8080,80"));
    assertTrue(e.getMessage().contains("port 80 is named more than once"), e.getMessage());
  }

  @Test
  void aPortOutOfRangeIsRefused() {
    assertThrows(StreamProtocolException.class, () -> WebSocketUpgrade.ports("/portforward/t?port=0"));
    assertThrows(StreamProtocolException.class, () -> WebSocketUpgrade.ports("/portforward/t?port=65536"));
  }
}
