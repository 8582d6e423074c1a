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
  void pathLikeIdsAreRefused() {
    for (String bad : new String[] {"../x", "/etc", "ABC", "", "a b"}) {
      assertThrows(CriException.InvalidArgument.class, () -> Ids.requirePrefix(bad, "container_id"));
    }
  }
}
