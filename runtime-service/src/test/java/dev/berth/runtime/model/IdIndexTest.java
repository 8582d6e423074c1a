package dev.berth.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IdIndexTest {

  private final IdIndex<String> index = new IdIndex<>();

  @Test
  void aUniquePrefixFindsItsObject() {
    index.put("abc123", "first");
    index.put("abd456", "second");
    assertEquals("first", index.findByPrefix("abc", "container").orElseThrow());
    assertEquals("second", index.findByPrefix("abd456", "container").orElseThrow());
    assertTrue(index.findByPrefix("abe", "container").isEmpty());
  }

  @Test
  void anAmbiguousPrefixIsAnInvalidArgument() {
    index.put("abc123", "first");
    index.put("abc456", "second");
    CriException.InvalidArgument e = assertThrows(CriException.InvalidArgument.class,
        () -> index.findByPrefix("abc", "container"));
    assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
  }

  @Test
  void newIdsAreSixtyFourHexDigitsAndDiffer() {
    String a = Ids.newId();
    assertTrue(Ids.isFullId(a), a);
    assertTrue(!a.equals(Ids.newId()));
  }

  @Test
  void idsThatCannotBeOursNameNothingAndAreNeverLookedUp() {
    for (String foreign : new String[] {"6f3c2d9e-1b2a-4c5d-8e7f-0123456789ab", "../x", "../../etc", "/etc", "ABC",
        "a b", "a\u0000b", "abc\n", "a".repeat(65), "0".repeat(100_000)}) {
      assertTrue(Ids.lookupKey(foreign, "container_id").isEmpty(), foreign);
    }
  }

  @Test
  void hexIdsAndPrefixesAreLookedUpAsGiven() {
    String id = Ids.newId();
    assertEquals(id, Ids.lookupKey(id, "container_id").orElseThrow());
    assertEquals("abc1", Ids.lookupKey("abc1", "container_id").orElseThrow());
  }

  @Test
  void anEmptyIdIsAMalformedRequest() {
    CriException.InvalidArgument e = assertThrows(CriException.InvalidArgument.class,
        () -> Ids.lookupKey("", "pod_sandbox_id"));
    assertEquals("pod_sandbox_id is empty", e.getMessage());
  }
}
