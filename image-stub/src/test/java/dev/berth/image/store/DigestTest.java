package dev.berth.image.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Digests as set members and map keys: equality is the hex, written out rather than the record's own. */
class DigestTest {

  private static final String HEX = "a".repeat(64);

  @Test
  void theSameHexIsTheSameDigestWhereverItCameFrom() {
    Digest parsed = Digest.parse("sha256:" + HEX);
    Digest made = new Digest(HEX);

    assertEquals(made, parsed);
    assertEquals(made.hashCode(), parsed.hashCode());
    assertTrue(Set.of(made).contains(parsed));
    assertEquals("sha256:" + HEX, parsed.toString());
  }

  @Test
  void otherContentOrAnotherTypeIsNotEqual() {
    Digest digest = Digest.of("one".getBytes(StandardCharsets.UTF_8));

    assertNotEquals(Digest.of("two".getBytes(StandardCharsets.UTF_8)), digest);
    assertNotEquals(digest.toString(), digest);
    assertNotEquals(null, digest);
  }

  @Test
  void onlyLowerCaseSha256HexIsADigest() {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha512:" + HEX));
    assertThrows(IllegalArgumentException.class, () -> new Digest(HEX.toUpperCase()));
  }
}
