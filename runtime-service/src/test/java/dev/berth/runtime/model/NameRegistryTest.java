package dev.berth.runtime.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NameRegistryTest {

  @Test
  void aTakenNameNamesItsHolderUntilReleased() {
    NameRegistry names = new NameRegistry("container");
    names.reserve("web_pod_0", "id-1");
    CriException.AlreadyExists e = assertThrows(CriException.AlreadyExists.class, () -> names.reserve("web_pod_0", "id-2"));
    assertTrue(e.getMessage().contains("id-1"), e.getMessage());
    names.release("web_pod_0", "id-2");
    assertThrows(CriException.AlreadyExists.class, () -> names.reserve("web_pod_0", "id-2"));
    names.release("web_pod_0", "id-1");
    names.reserve("web_pod_0", "id-2");
  }
}
