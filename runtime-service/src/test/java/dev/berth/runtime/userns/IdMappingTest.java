package dev.berth.runtime.userns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IdMappingTest {

  @Test
  void aRangeIsOneLineOfUidMap() {
    assertEquals("0 100000 65536\n", new IdMapping(0, 100000, 65536).mapLine());
  }

  @Test
  void idsInsideTheRangeMapToHostIdsAndOthersToNone() {
    IdMapping mapping = new IdMapping(1000, 200000, 10);
    assertEquals(200000, mapping.toHost(1000));
    assertEquals(200009, mapping.toHost(1009));
    assertEquals(-1, mapping.toHost(1010));
    assertEquals(-1, mapping.toHost(0));
  }

  @Test
  void theRootOfAPodMappingIsItsFirstHostId() {
    UserNamespaceMapping pod = new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536),
        new IdMapping(0, 4_000_000, 65536));
    assertEquals(3_000_000, pod.rootHostUid());
    assertEquals(4_000_000, pod.rootHostGid());
  }

  @Test
  void anEmptyRangeOrOneLeavingThe32BitSpaceIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new IdMapping(0, 1000, 0));
    assertThrows(IllegalArgumentException.class, () -> new IdMapping(0, 0xFFFF_FFFFL, 2));
    assertThrows(IllegalArgumentException.class, () -> new IdMapping(0xFFFF_FFFFL, 0, 2));
    assertEquals(1, new IdMapping(0, 0xFFFF_FFFFL, 1).length());
  }
}
